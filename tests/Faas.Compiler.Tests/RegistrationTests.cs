using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Faas.Compiler.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddCompilerToolchains_binds_the_Compiler_section()
    {
        using var provider = Services(new() { ["Compiler:MaxSourceFiles"] = "7", ["Compiler:BuildTimeout"] = "00:00:30" });

        var options = provider.GetRequiredService<IOptions<CompilerOptions>>().Value;

        Assert.Equal((7, TimeSpan.FromSeconds(30)), (options.MaxSourceFiles, options.BuildTimeout));
        Assert.NotNull(provider.GetRequiredService<FunctionBuilder>());
    }

    [Fact]
    public void Invalid_compiler_settings_are_refused_when_first_read()
    {
        using var provider = Services(new() { ["Compiler:MaxModuleBytes"] = "0" });

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CompilerOptions>>().Value);

        Assert.Contains("Compiler:MaxModuleBytes", failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddCompilerToolchains()
            .BuildServiceProvider();
}
