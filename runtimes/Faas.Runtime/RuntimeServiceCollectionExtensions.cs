using Faas.Runtime.Diagnostics;
using Faas.Runtime.Engines;
using Faas.Runtime.Execution;
using Faas.Runtime.Modules;
using Faas.Runtime.Options;
using Faas.Runtime.Validation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Microsoft.Extensions.DependencyInjection;

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Registers what runs functions: the execution engine and its epoch ticker, <see cref="WasmExecutor"/>,
    /// <see cref="ModuleCache"/>, <see cref="ExecutionSlots"/> and <see cref="FunctionHost"/>, with
    /// <see cref="RuntimeOptions"/> bound from the <c>Runtime</c> section and validated at startup.
    /// The caller registers the <see cref="IModuleSource"/>.
    /// </summary>
    public static IServiceCollection AddFaasRuntime(this IServiceCollection services)
    {
        services.AddOptions<RuntimeOptions>().BindConfiguration(RuntimeOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntimeOptions>, RuntimeOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<RuntimeMetrics>();
        services.TryAddSingleton<Engine>(_ => WasmEngineFactory.CreateForExecution());
        services.TryAddSingleton<EpochTicker>();
        services.TryAddSingleton<WasmExecutor>();
        services.TryAddSingleton<ModuleCache>();
        services.TryAddSingleton<ExecutionSlots>();
        services.TryAddSingleton<FunctionHost>();
        return services;
    }

    /// <summary>
    /// Registers <see cref="FunctionModuleValidator"/> on its own compilation engine (no instance pool),
    /// for services that accept modules (the gateway, the compiler).
    /// </summary>
    public static IServiceCollection AddFunctionModuleValidator(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new FunctionModuleValidator(WasmEngineFactory.CreateForCompilation()));
        return services;
    }
}
