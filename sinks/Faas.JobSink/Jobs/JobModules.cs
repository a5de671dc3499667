using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Faas.Wasm.Engines;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Faas.JobSink.Jobs;

/// <summary>
/// Precompiled modules for the job runner, on disk as <c>&lt;sha256&gt;.&lt;engine&gt;.cwasm</c>: a
/// precompiled module only loads into an engine with the same settings, so files are keyed by the module and by
/// <see cref="WasmEngineFactory.Fingerprint"/>, which the job runner shares (same engine factory, same
/// Wasmtime). The compiler's precompiled artifact is taken when the artifact store has one for this
/// fingerprint; otherwise the module is compiled here once. Concurrent requests for one module share the work.
/// </summary>
public sealed partial class JobModules(ArtifactStore artifacts, IOptions<JobOptions> options, ILogger<JobModules> logger) : IDisposable
{
    private static readonly string EngineKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(WasmEngineFactory.Fingerprint)))[..16];

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> preparing = new();
    private readonly Lazy<Engine> engine = new(WasmEngineFactory.CreateForCompilation);

    private string Directory => Path.Combine(options.Value.StateDirectory, "modules");

    /// <summary>Where the module's precompiled file is kept.</summary>
    internal string PathOf(string moduleSha256) => Path.Combine(Directory, $"{moduleSha256}.{EngineKey}.cwasm");

    /// <summary>The path of the module's precompiled file, made on first use.</summary>
    public async Task<string> GetAsync(string moduleSha256, CancellationToken cancellationToken)
    {
        var path = PathOf(moduleSha256);
        if (File.Exists(path))
        {
            return path;
        }

        var work = preparing.GetOrAdd(path, p => new Lazy<Task<string>>(() => PrepareAsync(moduleSha256, p)));
        try
        {
            return await work.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (work.Value.IsCompleted)
            {
                preparing.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(path, work));
            }
        }
    }

    private async Task<string> PrepareAsync(string moduleSha256, string path)
    {
        var precompiled = await artifacts.GetPrecompiledAsync(moduleSha256, WasmEngineFactory.Fingerprint, CancellationToken.None).ConfigureAwait(false);
        if (precompiled is null)
        {
            var wasm = await artifacts.GetWasmAsync(moduleSha256, CancellationToken.None).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Module {moduleSha256} is not in the artifact store.");
            using var module = Module.FromBytes(engine.Value, moduleSha256, wasm);
            precompiled = module.Serialize();
            LogCompiled(logger, moduleSha256);
        }

        System.IO.Directory.CreateDirectory(Directory);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, precompiled, CancellationToken.None).ConfigureAwait(false);
        FileModes.Set(temporary, FileModes.Readable);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    public void Dispose()
    {
        if (engine.IsValueCreated)
        {
            engine.Value.Dispose();
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Compiled module {ModuleSha256} for JOB mode (the artifact store had no precompiled form for this engine)")]
    private static partial void LogCompiled(ILogger logger, string moduleSha256);
}
