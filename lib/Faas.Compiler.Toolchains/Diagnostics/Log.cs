using Microsoft.Extensions.Logging;

namespace Faas.Compiler.Toolchains.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Toolchain {Language} available: {Version}")]
    public static partial void ToolchainAvailable(ILogger logger, string language, string? version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Toolchain unavailable: {Description}")]
    public static partial void ToolchainUnavailable(ILogger logger, string description);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Builds run sandboxed (bubblewrap: own mount, PID and network namespaces; user id {UserId}, -1 for the service's own)")]
    public static partial void SandboxAvailable(ILogger logger, int userId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "No language can be built: {Problem}")]
    public static partial void SandboxUnavailable(ILogger logger, string problem);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Built {Language} module of {Bytes} bytes in {ElapsedMs:F0} ms")]
    public static partial void BuildSucceeded(ILogger logger, string language, int bytes, double elapsedMs);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{Language} build ended {Status} in {ElapsedMs:F0} ms: {Error}")]
    public static partial void BuildFailed(ILogger logger, string language, string status, double elapsedMs, string? error);
}
