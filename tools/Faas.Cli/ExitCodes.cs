using Grpc.Core;

namespace Faas.Cli;

/// <summary>What the exit status of <c>faas</c> means, so scripts can act on it.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The call failed for a reason not listed below (the mesh is down, an internal error).</summary>
    public const int Failed = 1;

    /// <summary>The command line or a file it names is wrong.</summary>
    public const int Usage = 2;

    /// <summary>No credential, or the gateway refused it (UNAUTHENTICATED, PERMISSION_DENIED).</summary>
    public const int Auth = 3;

    /// <summary>What was named does not exist (NOT_FOUND).</summary>
    public const int NotFound = 4;

    /// <summary>The request was refused as it is (INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS).</summary>
    public const int Rejected = 5;

    /// <summary>A build failed: the compiler's diagnostics were printed.</summary>
    public const int BuildFailed = 6;

    /// <summary>The function ran and failed, or timed out.</summary>
    public const int FunctionFailed = 7;

    /// <summary>Shed or over a quota (RESOURCE_EXHAUSTED): try again later.</summary>
    public const int Busy = 8;

    public static int Of(StatusCode status) => status switch
    {
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => Auth,
        StatusCode.NotFound => NotFound,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.AlreadyExists or StatusCode.OutOfRange => Rejected,
        StatusCode.ResourceExhausted => Busy,
        StatusCode.DeadlineExceeded or StatusCode.Unknown => FunctionFailed,
        _ => Failed,
    };
}

/// <summary>An error to print as it is (no stack trace) and exit with <see cref="ExitCode"/>.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
