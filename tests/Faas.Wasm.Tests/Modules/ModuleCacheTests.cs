using Faas.Wasm.Diagnostics;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Validation;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faas.Wasm.Tests.Modules;

[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ModuleCacheTests(WasmFixture runtime) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("faas-module-cache-").FullName;
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private ModuleCache CreateCache(IModuleSource source, int maxCachedModules = 16) => new(
        runtime.Engine,
        source,
        Microsoft.Extensions.Options.Options.Create(new WorkerOptions { CacheDirectory = directory, MaxCachedModules = maxCachedModules }),
        new WasmMetrics(services.GetRequiredService<IMeterFactory>()),
        NullLogger<ModuleCache>.Instance);

    [Fact]
    public async Task Concurrent_misses_load_the_module_once()
    {
        var source = new CountingModuleSource(TestModules.Wasm("echo")) { Gate = new TaskCompletionSource() };
        using var cache = CreateCache(source);

        var lookups = Enumerable.Range(0, 8).Select(_ => cache.GetAsync(source.Sha256, CancellationToken.None).AsTask()).ToList();
        source.Gate.SetResult();
        var results = await Task.WhenAll(lookups);

        Assert.Equal(1, source.Calls);
        Assert.All(results, r => Assert.Same(results[0].Module, r.Module));
        Assert.All(results, r => Assert.True(r.Cold));
        Assert.False((await cache.GetAsync(source.Sha256, CancellationToken.None)).Cold);
        Assert.Equal([source.Sha256], cache.WarmModules);
    }

    [Fact]
    public async Task A_new_cache_reloads_a_module_from_the_disk_cache()
    {
        var source = new CountingModuleSource(TestModules.Wasm("echo"));
        using (var first = CreateCache(source))
        {
            await first.GetAsync(source.Sha256, CancellationToken.None);
        }

        using var second = CreateCache(source);
        var lookup = await second.GetAsync(source.Sha256, CancellationToken.None);

        Assert.True(lookup.Cold);
        Assert.Equal(1, source.Calls);
        Assert.True(File.Exists(Path.Combine(directory, source.Sha256 + ".cwasm")));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public async Task An_unusable_disk_cache_entry_is_replaced_from_the_source()
    {
        var source = new CountingModuleSource(TestModules.Wasm("echo"));
        await File.WriteAllTextAsync(Path.Combine(directory, source.Sha256 + ".cwasm"), "not a precompiled module");
        using var cache = CreateCache(source);

        var lookup = await cache.GetAsync(source.Sha256, CancellationToken.None);

        Assert.NotNull(lookup.Module);
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task A_missing_module_is_not_found_and_is_retried_later()
    {
        var source = new CountingModuleSource(null);
        using var cache = CreateCache(source);

        await Assert.ThrowsAsync<ModuleNotFoundException>(() => cache.GetAsync(source.Sha256, CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<ModuleNotFoundException>(() => cache.GetAsync(source.Sha256, CancellationToken.None).AsTask());

        Assert.Equal(2, source.Calls);
        Assert.Empty(cache.WarmModules);
    }

    [Fact]
    public async Task Bytes_that_do_not_match_their_hash_cannot_be_loaded()
    {
        var source = new CountingModuleSource(TestModules.Wasm("echo")) { Sha256 = ModuleHash.Of("something else"u8) };
        using var cache = CreateCache(source);

        var error = await Assert.ThrowsAsync<ModuleLoadException>(() => cache.GetAsync(source.Sha256, CancellationToken.None).AsTask());

        Assert.Contains("hash to", error.Message);
    }

    [Fact]
    public async Task Bytes_that_do_not_compile_cannot_be_loaded()
    {
        var garbage = "garbage"u8.ToArray();
        var source = new CountingModuleSource(garbage);
        using var cache = CreateCache(source);

        await Assert.ThrowsAsync<ModuleLoadException>(() => cache.GetAsync(source.Sha256, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_hash_that_is_not_a_sha256_is_rejected()
    {
        using var cache = CreateCache(new CountingModuleSource(null));

        await Assert.ThrowsAsync<ArgumentException>(() => cache.GetAsync("../../etc/passwd", CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task The_least_recently_used_module_is_evicted_beyond_the_limit()
    {
        var sources = new[] { "echo", "trap", "counter" }.Select(name => new CountingModuleSource(TestModules.Wasm(name))).ToArray();
        var source = new MultiModuleSource(sources);
        using var cache = CreateCache(source, maxCachedModules: 2);

        await cache.GetAsync(sources[0].Sha256, CancellationToken.None);
        await cache.GetAsync(sources[1].Sha256, CancellationToken.None);
        await cache.GetAsync(sources[0].Sha256, CancellationToken.None);
        await cache.GetAsync(sources[2].Sha256, CancellationToken.None);

        Assert.Equal(new[] { sources[0].Sha256, sources[2].Sha256 }.Order(), cache.WarmModules.Order());
    }

    [Fact]
    public async Task A_precompiled_artifact_for_this_engine_is_loaded_without_the_module()
    {
        var wasm = TestModules.Wasm("echo");
        using var compiler = WasmEngineFactory.CreateForCompilation();
        var precompiled = new FunctionModuleValidator(compiler).Validate(wasm, precompile: true).Precompiled!;
        var source = new CountingModuleSource(wasm) { Precompiled = precompiled };
        using var cache = CreateCache(source);

        var lookup = await cache.GetAsync(source.Sha256, CancellationToken.None);

        Assert.Equal(0, source.Calls);
        Assert.Equal([WasmEngineFactory.Fingerprint], source.FingerprintsAsked);
        Assert.Equal(ExecutionOutcome.Ok, runtime.Executor.Execute(lookup.Module, Request(source.Sha256, "precompiled")).Outcome);
        Assert.True(File.Exists(Path.Combine(directory, source.Sha256 + ".cwasm")));
    }

    [Fact]
    public async Task A_precompiled_artifact_that_does_not_load_here_falls_back_to_compiling_the_module()
    {
        var source = new CountingModuleSource(TestModules.Wasm("echo")) { Precompiled = "not a precompiled module"u8.ToArray() };
        using var cache = CreateCache(source);

        var lookup = await cache.GetAsync(source.Sha256, CancellationToken.None);

        Assert.Equal(1, source.Calls);
        Assert.Equal(ExecutionOutcome.Ok, runtime.Executor.Execute(lookup.Module, Request(source.Sha256, "compiled")).Outcome);
    }

    private static ExecutionRequest Request(string sha256, string payload) => new()
    {
        ModuleSha256 = sha256,
        FunctionName = "echo",
        Payload = System.Text.Encoding.UTF8.GetBytes(payload),
        TimeoutMs = 10_000,
    };

    public void Dispose()
    {
        services.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private sealed class CountingModuleSource(byte[]? wasm) : IModuleSource
    {
        private int calls;

        public string Sha256 { get; init; } = ModuleHash.Of(wasm ?? "missing"u8.ToArray());

        public TaskCompletionSource? Gate { get; init; }

        public byte[]? Precompiled { get; init; }

        public List<string> FingerprintsAsked { get; } = [];

        public Task<byte[]?> GetPrecompiledAsync(string sha256, string engineFingerprint, CancellationToken cancellationToken)
        {
            FingerprintsAsked.Add(engineFingerprint);
            return Task.FromResult(Precompiled);
        }

        public int Calls => Volatile.Read(ref calls);

        public async Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            return wasm;
        }
    }

    private sealed class MultiModuleSource(CountingModuleSource[] sources) : IModuleSource
    {
        public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) =>
            sources.First(s => s.Sha256 == sha256).GetWasmAsync(sha256, cancellationToken);
    }
}
