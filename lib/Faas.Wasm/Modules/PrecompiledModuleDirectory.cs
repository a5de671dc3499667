using Faas.Wasm.Diagnostics;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Faas.Wasm.Modules;

/// <summary>
/// Precompiled modules on disk, <c>&lt;directory&gt;/&lt;sha256&gt;.cwasm</c>, so a restarted worker (or another
/// worker on the machine) skips compilation. Files are written whole (temporary file, then rename), so a
/// reader never sees half a module; one that does not load (e.g. from another Wasmtime version) is removed.
/// </summary>
internal sealed class PrecompiledModuleDirectory(string directory, ILogger logger)
{
    public string PathOf(string sha256) => Path.Combine(directory, sha256 + ".cwasm");

    public Module? TryLoad(Engine engine, string sha256)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return Module.DeserializeFile(engine, sha256, path);
        }
        catch (WasmtimeException exception)
        {
            Log.DiskCacheEntryDiscarded(logger, path, exception.Message);
            TryDelete(path);
            return null;
        }
    }

    public void TryStore(Module module, string sha256)
    {
        var path = PathOf(sha256);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(temporary, module.Serialize());
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            Log.DiskCacheWriteFailed(logger, exception, path);
            TryDelete(temporary);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Someone else's problem now: the next load tries again.
        }
    }
}
