using System.Text;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Wasmtime;

namespace Faas.Wasm.Tests.Engines;

[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WasmEngineFactoryTests(WasmFixture runtime)
{
    [Fact]
    public void A_module_precompiled_by_the_compilation_engine_runs_on_the_execution_engine()
    {
        using var compilationEngine = WasmEngineFactory.CreateForCompilation();
        using var compiled = Module.FromText(compilationEngine, "echo", TestModules.Text("echo"));
        var precompiled = compiled.Serialize();

        using var module = Module.Deserialize(runtime.Engine, "echo", precompiled);
        var result = runtime.Executor.Execute(module, new ExecutionRequest { ModuleSha256 = new string('0', 64), FunctionName = "echo", Payload = "ping"u8.ToArray() });

        Assert.Equal("ping", Encoding.UTF8.GetString(result.Output.Span));
    }

    [Fact]
    public void The_engine_fingerprint_names_the_wasmtime_version_the_code_generation_and_the_platform()
    {
        Assert.Matches(@"^wasmtime-\d+\.\d+\.\d+/cranelift-speed-epoch/(linux|windows|macos|other)-[a-z0-9]+$", WasmEngineFactory.Fingerprint);
    }

    [Fact]
    public void Timeouts_are_at_least_as_long_as_asked()
    {
        Assert.Equal(21UL, EpochTicker.TicksFor(100));
        Assert.Equal(2UL, EpochTicker.TicksFor(1));
    }
}
