using System.Collections.Concurrent;
using System.Diagnostics;
using Faas.Wasm.Diagnostics;
using Faas.Wasm.Engines;
using Faas.Wasm.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Faas.Wasm.Modules;

/// <summary>
/// Compiled modules by sha256. A hit is a dictionary lookup; a miss loads the module once however many
/// calls wait for it: from the precompiled-module directory, else from the <see cref="IModuleSource"/>: its
/// precompiled artifact for this engine when it has one, otherwise the module (verified against its hash and
/// compiled); either way written to the directory for next time. Beyond
/// <see cref="WorkerOptions.MaxCachedModules"/> the least recently used modules are dropped.
/// </summary>
public sealed class ModuleCache : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly Lock evicting = new();
    private readonly CancellationTokenSource disposing = new();
    private readonly Engine engine;
    private readonly IModuleSource source;
    private readonly PrecompiledModuleDirectory directory;
    private readonly int capacity;
    private readonly WasmMetrics metrics;
    private readonly ILogger logger;

    public ModuleCache(Engine engine, IModuleSource source, IOptions<WorkerOptions> options, WasmMetrics metrics, ILogger<ModuleCache> logger)
    {
        this.engine = engine;
        this.source = source;
        this.metrics = metrics;
        this.logger = logger;
        capacity = options.Value.MaxCachedModules;
        directory = new PrecompiledModuleDirectory(options.Value.CacheDirectory, logger);
    }

    /// <summary>The hashes of the modules in memory, ready to run without loading.</summary>
    public IReadOnlyList<string> WarmModules =>
        entries.Where(pair => pair.Value.Module is not null).Select(pair => pair.Key).ToList();

    /// <summary>The compiled module with hash <paramref name="sha256"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not 64 lower-case hex digits.</exception>
    /// <exception cref="ModuleNotFoundException">The module source has no such module.</exception>
    /// <exception cref="ModuleLoadException">The module's bytes do not match its hash or do not compile.</exception>
    public ValueTask<ModuleLookup> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        if (entries.TryGetValue(sha256, out var entry) && entry.Module is { } module)
        {
            entry.Touch();
            return ValueTask.FromResult(new ModuleLookup(module, Cold: false));
        }

        return LoadAsync(sha256, cancellationToken);
    }

    private async ValueTask<ModuleLookup> LoadAsync(string sha256, CancellationToken cancellationToken)
    {
        if (!ModuleHash.IsValid(sha256))
        {
            throw new ArgumentException($"'{sha256}' is not a sha256 in lower-case hex.", nameof(sha256));
        }

        var entry = entries.GetOrAdd(sha256, static (key, cache) => new Entry(cache, key), this);
        // Waiters share one load; a caller that gives up does not cancel it for the others.
        var module = await entry.Loading.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        EvictBeyondCapacity();
        return new ModuleLookup(module, Cold: true);
    }

    private async Task<Module> LoadModuleAsync(Entry entry, string sha256)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var loadedFrom = "disk";
            var module = directory.TryLoad(engine, sha256);
            if (module is null)
            {
                loadedFrom = "precompiled";
                module = await DeserializeFromSourceAsync(sha256).ConfigureAwait(false);
                if (module is null)
                {
                    loadedFrom = "artifact";
                    module = await CompileFromSourceAsync(sha256).ConfigureAwait(false);
                }

                directory.TryStore(module, sha256);
            }

            metrics.ModuleLoaded(loadedFrom);
            Log.ModuleLoaded(logger, sha256, loadedFrom, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            entry.Touch();
            entry.Module = module;
            return module;
        }
        catch (Exception exception)
        {
            // Forget the failure: the module may be deployed, or the database reachable, on the next call.
            entries.TryRemove(KeyValuePair.Create(sha256, entry));
            Log.ModuleLoadFailed(logger, sha256, exception.Message);
            throw;
        }
    }

    /// <summary>The source's precompiled artifact for this engine; null when it has none or it does not load here.</summary>
    private async Task<Module?> DeserializeFromSourceAsync(string sha256)
    {
        var precompiled = await source.GetPrecompiledAsync(sha256, WasmEngineFactory.Fingerprint, disposing.Token).ConfigureAwait(false);
        if (precompiled is null)
        {
            return null;
        }

        try
        {
            return Module.Deserialize(engine, sha256, precompiled);
        }
        catch (WasmtimeException exception)
        {
            Log.PrecompiledArtifactRejected(logger, sha256, exception.Message);
            return null;
        }
    }

    private async Task<Module> CompileFromSourceAsync(string sha256)
    {
        var wasm = await source.GetWasmAsync(sha256, disposing.Token).ConfigureAwait(false)
            ?? throw new ModuleNotFoundException(sha256);
        if (ModuleHash.Of(wasm) != sha256)
        {
            throw new ModuleLoadException(sha256, $"its {wasm.Length} bytes hash to {ModuleHash.Of(wasm)}.");
        }

        try
        {
            return Module.FromBytes(engine, sha256, wasm);
        }
        catch (WasmtimeException exception)
        {
            throw new ModuleLoadException(sha256, exception.Message);
        }
    }

    /// <summary>
    /// Drops a loaded module from memory (the warm pool scaling down); its precompiled form stays on disk, and a run
    /// that holds it keeps it. A module still loading is left alone. Returns whether it was in memory.
    /// </summary>
    public bool Unload(string sha256)
    {
        if (!entries.TryGetValue(sha256, out var entry) || entry.Module is null || !entries.TryRemove(KeyValuePair.Create(sha256, entry)))
        {
            return false;
        }

        Log.ModuleUnloaded(logger, sha256);
        return true;
    }

    /// <summary>
    /// Drops the least recently used modules. They are not disposed: a run may still hold one, and the
    /// native module is freed by its finalizer once nothing does.
    /// </summary>
    private void EvictBeyondCapacity()
    {
        lock (evicting)
        {
            while (entries.Count > capacity)
            {
                KeyValuePair<string, Entry>? oldest = null;
                foreach (var pair in entries)
                {
                    if (pair.Value.Module is not null && (oldest is null || pair.Value.LastUsed < oldest.Value.Value.LastUsed))
                    {
                        oldest = pair;
                    }
                }

                if (oldest is not { } victim || !entries.TryRemove(victim))
                {
                    return;
                }

                Log.ModuleEvicted(logger, victim.Key);
            }
        }
    }

    public void Dispose()
    {
        disposing.Cancel();
        disposing.Dispose();
    }

    private sealed class Entry
    {
        public Entry(ModuleCache cache, string sha256) =>
            Loading = new Lazy<Task<Module>>(() => Task.Run(() => cache.LoadModuleAsync(this, sha256)));

        /// <summary>The one load of this module, started by the first caller that needs it.</summary>
        public Lazy<Task<Module>> Loading { get; }

        /// <summary>Set once loaded: the lock-free fast path.</summary>
        public volatile Module? Module;

        public long LastUsed;

        public void Touch() => Volatile.Write(ref LastUsed, Stopwatch.GetTimestamp());
    }
}
