using Faas.Wasm.Engines;
using Faas.Wasm.Validation;

namespace Faas.Wasm.Tests.Validation;

[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FunctionModuleValidatorTests : IDisposable
{
    private readonly WasmFixture runtime;
    private readonly Wasmtime.Engine engine = WasmEngineFactory.CreateForCompilation();
    private readonly FunctionModuleValidator validator;

    public FunctionModuleValidatorTests(WasmFixture runtime)
    {
        this.runtime = runtime;
        validator = new FunctionModuleValidator(engine);
    }

    [Fact]
    public void Accepts_the_echo_function_and_returns_its_binary()
    {
        var result = validator.ValidateText(TestModules.Text("echo"));

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(TestModules.Wasm("echo"), result.Wasm);
    }

    [Fact]
    public void Accepts_a_binary_module()
    {
        var result = validator.Validate(TestModules.Wasm("print_environ"));

        Assert.True(result.IsValid, result.Error);
    }

    [Fact]
    public void Rejects_garbage_bytes_with_wasmtime_reason()
    {
        var result = validator.Validate("this is not wasm"u8.ToArray());

        Assert.False(result.IsValid);
        Assert.Null(result.Wasm);
        Assert.StartsWith("Invalid WebAssembly module:", result.Error);
        Assert.Contains("magic", result.Error);
    }

    [Fact]
    public void Rejects_malformed_text_with_wasmtime_reason()
    {
        var result = validator.ValidateText("(module (func (export \"_start\") (i32.bogus)))");

        Assert.False(result.IsValid);
        Assert.StartsWith("Invalid WebAssembly text:", result.Error);
        Assert.Contains("i32.bogus", result.Error);
    }

    [Fact]
    public void Rejects_a_module_without_start()
    {
        var result = validator.ValidateText(TestModules.Text("no_start"));

        Assert.False(result.IsValid);
        Assert.Contains("does not export a `_start` function", result.Error);
    }

    [Fact]
    public void Rejects_a_start_that_takes_parameters()
    {
        var result = validator.ValidateText("(module (memory (export \"memory\") 1) (func (export \"_start\") (param i32)))");

        Assert.False(result.IsValid);
        Assert.Contains("must take no parameters", result.Error);
    }

    [Fact]
    public void Rejects_a_module_that_does_not_export_its_memory()
    {
        var result = validator.ValidateText("(module (memory 1) (func (export \"_start\")))");

        Assert.False(result.IsValid);
        Assert.Contains("does not export its memory as `memory`", result.Error);
    }

    [Fact]
    public void Rejects_a_module_importing_from_another_module_name()
    {
        var result = validator.ValidateText(TestModules.Text("foreign_import"));

        Assert.False(result.IsValid);
        Assert.Contains("imports `env.now`", result.Error);
        Assert.Contains("only from `wasi_snapshot_preview1`", result.Error);
    }

    [Fact]
    public void Rejects_a_wasi_function_the_platform_does_not_provide()
    {
        var result = validator.ValidateText("""
            (module
              (import "wasi_snapshot_preview1" "sock_open" (func (param i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")))
            """);

        Assert.False(result.IsValid);
        Assert.Contains("`wasi_snapshot_preview1.sock_open`, which the platform does not provide", result.Error);
    }

    [Fact]
    public void Rejects_a_table_beyond_the_workers_limit_naming_the_limit()
    {
        var result = validator.ValidateText("(module (memory (export \"memory\") 1) (table 100000000 funcref) (func (export \"_start\")))");

        Assert.False(result.IsValid);
        Assert.StartsWith("The module exceeds the limits of the platform's workers:", result.Error);
        Assert.Contains("minimum element size of 100000000 which exceeds the limit of 20000", result.Error);
        Assert.Contains("1 table of at most 20000 elements", result.Error);
    }

    [Fact]
    public void Rejects_a_memory_beyond_the_workers_limit_naming_the_limit()
    {
        var result = validator.ValidateText("(module (memory (export \"memory\") i64 65537) (func (export \"_start\")))");

        Assert.False(result.IsValid);
        Assert.StartsWith("The module exceeds the limits of the platform's workers:", result.Error);
        Assert.Contains("exceeds the limit of 0x100000000 bytes", result.Error);
        Assert.Contains("1 memory of at most 65536 pages (4096 MiB)", result.Error);
    }

    [Fact]
    public void Rejects_a_second_table()
    {
        var result = validator.ValidateText("(module (memory (export \"memory\") 1) (table 1 funcref) (table 1 funcref) (func (export \"_start\")))");

        Assert.False(result.IsValid);
        Assert.Contains("tables count of 2 exceeds the per-instance limit of 1", result.Error);
    }

    [Fact]
    public void Rejects_more_instance_state_than_a_worker_reserves()
    {
        var globals = string.Concat(Enumerable.Repeat("(global (mut i64) (i64.const 0))", 70_000));
        var result = validator.ValidateText($"(module (memory (export \"memory\") 1) {globals} (func (export \"_start\")))");

        Assert.False(result.IsValid);
        Assert.StartsWith("The module exceeds the limits of the platform's workers:", result.Error);
        Assert.Contains("1024 KiB of instance state", result.Error);
    }

    [Fact]
    public void Accepts_a_module_at_the_limits_and_its_precompiled_form_loads_in_a_worker()
    {
        var wasm = Wasmtime.Module.ConvertText("(module (memory (export \"memory\") 65536) (table 20000 funcref) (func (export \"_start\")))");

        var result = validator.Validate(wasm, precompile: true);

        Assert.True(result.IsValid, result.Error);
        using var module = Wasmtime.Module.Deserialize(runtime.Engine, "function", result.Precompiled!);
    }

    public void Dispose() => engine.Dispose();
}
