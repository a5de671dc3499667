using Wasmtime;

namespace Faas.Wasm.Modules;

/// <summary>A compiled module, and whether getting it meant loading it (a cold call).</summary>
public readonly record struct ModuleLookup(Module Module, bool Cold);
