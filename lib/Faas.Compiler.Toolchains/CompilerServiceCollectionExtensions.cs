using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class CompilerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FunctionBuilder"/> and <see cref="ToolchainDetector"/> with <see cref="CompilerOptions"/>
    /// bound from the <c>Compiler</c> section and validated at start-up, and the module validator they check builds with.
    /// </summary>
    public static IServiceCollection AddCompilerToolchains(this IServiceCollection services)
    {
        services.AddOptions<CompilerOptions>().BindConfiguration(CompilerOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CompilerOptions>, CompilerOptionsValidator>());
        services.AddFunctionModuleValidator();
        services.TryAddSingleton<ToolchainDetector>();
        services.TryAddSingleton<FunctionBuilder>();
        return services;
    }
}
