using System.Collections.Concurrent;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Options;
using Wasmtime;

namespace Faas.Wasm.Tests;

/// <summary>
/// One execution engine (with its epoch ticker) for the whole test run, as in a worker: each engine
/// reserves its instance pool's address space up front.
/// </summary>
public sealed class WasmFixture : IDisposable
{
    private readonly ConcurrentDictionary<string, Module> modules = new();

    public WasmFixture()
    {
        Engine = WasmEngineFactory.CreateForExecution();
        Ticker = new EpochTicker(Engine);
        Executor = CreateExecutor(new WorkerOptions());
    }

    public Engine Engine { get; }

    public EpochTicker Ticker { get; }

    public WasmExecutor Executor { get; }

    public WasmExecutor CreateExecutor(WorkerOptions options) =>
        new(Engine, Ticker, Microsoft.Extensions.Options.Options.Create(options));

    /// <summary>A test module from Modules/, compiled once.</summary>
    public Module Module(string name) =>
        modules.GetOrAdd(name, n => Wasmtime.Module.FromText(Engine, n, TestModules.Text(n)));

    public void Dispose()
    {
        Executor.Dispose();
        Ticker.Dispose();
        foreach (var module in modules.Values)
        {
            module.Dispose();
        }

        Engine.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WasmCollection : ICollectionFixture<WasmFixture>
{
    public const string Name = "Wasm runtime";
}
