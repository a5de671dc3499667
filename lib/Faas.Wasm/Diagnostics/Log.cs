using Microsoft.Extensions.Logging;

namespace Faas.Wasm.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded module {Sha256} from {Source} in {ElapsedMs:F1} ms")]
    public static partial void ModuleLoaded(ILogger logger, string sha256, string source, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Module {Sha256} could not be loaded: {Reason}")]
    public static partial void ModuleLoadFailed(ILogger logger, string sha256, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Precompiled module {Path} is unusable and was removed: {Reason}")]
    public static partial void DiskCacheEntryDiscarded(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Could not write precompiled module {Path}")]
    public static partial void DiskCacheWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Evicted module {Sha256} from memory")]
    public static partial void ModuleEvicted(ILogger logger, string sha256);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Execution {ExecutionId} of {Function} ended {Outcome} in {RunMicros} µs")]
    public static partial void ExecutionCompleted(ILogger logger, string executionId, string function, string outcome, long runMicros);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Execution {ExecutionId} of {Function} ended {Outcome}: {Error}")]
    public static partial void ExecutionFailed(ILogger logger, string executionId, string function, string outcome, string? error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Precompiled artifact of module {Sha256} does not load into this engine, compiling the module instead: {Reason}")]
    public static partial void PrecompiledArtifactRejected(ILogger logger, string sha256, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Unloaded module {Sha256} from memory (warm pool scaled down)")]
    public static partial void ModuleUnloaded(ILogger logger, string sha256);
}
