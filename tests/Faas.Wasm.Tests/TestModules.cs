using Wasmtime;

namespace Faas.Wasm.Tests;

/// <summary>The WebAssembly text test functions in Modules/.</summary>
public static class TestModules
{
    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Modules", name + ".wat"));

    public static byte[] Wasm(string name) => Module.ConvertText(Text(name));
}
