using Faas.Runtime.Engines;
using Faas.Runtime.Validation;

namespace Faas.Runtime.Tests.Validation;

public sealed class FunctionModuleValidatorTests : IDisposable
{
    private readonly Wasmtime.Engine engine = WasmEngineFactory.CreateForCompilation();
    private readonly FunctionModuleValidator validator;

    public FunctionModuleValidatorTests() => validator = new FunctionModuleValidator(engine);

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

    public void Dispose() => engine.Dispose();
}
