using Microsoft.Extensions.Logging;

namespace Faas.Compiler.Toolchains.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Toolchain {Language} available: {Version}")]
    public static partial void ToolchainAvailable(ILogger logger, string language, string? version);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Toolchain unavailable: {Description}")]
    public static partial void ToolchainUnavailable(ILogger logger, string description);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Compilers run in their own network namespace (unshare -n)")]
    public static partial void NetworkIsolated(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "unshare -n does not work here: compilers run without network isolation (builds use no network-needing flags)")]
    public static partial void NetworkNotIsolated(ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Built {Language} module of {Bytes} bytes in {ElapsedMs:F0} ms")]
    public static partial void BuildSucceeded(ILogger logger, string language, int bytes, double elapsedMs);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{Language} build ended {Status} in {ElapsedMs:F0} ms: {Error}")]
    public static partial void BuildFailed(ILogger logger, string language, string status, double elapsedMs, string? error);
}
