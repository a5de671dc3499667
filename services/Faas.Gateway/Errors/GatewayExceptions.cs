using System.Globalization;

namespace Faas.Gateway.Errors;

/// <summary>
/// Domain errors of the gateway. Each knows its gRPC status and HTTP code; <see cref="Grpc.ErrorMappingInterceptor"/>
/// is the one place they become responses.
/// </summary>
public abstract class GatewayException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract global::Grpc.Core.StatusCode StatusCode { get; }

    /// <summary>HTTP status on REST when it differs from the standard mapping of <see cref="StatusCode"/>.</summary>
    public virtual int? HttpStatus => null;

    /// <summary>Extra response headers (REST) and metadata (gRPC).</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> Headers => [];
}

public sealed class InvalidRequestException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.InvalidArgument;
}

public sealed class FunctionNotFoundException(string name, int version = 0)
    : GatewayException(version == 0 ? $"Function '{name}' not found." : $"Version {version} of function '{name}' not found.")
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.NotFound;
}

public sealed class ExecutionNotFoundException(string id, string? detail = null)
    : GatewayException(detail is null ? $"Execution '{id}' not found." : $"Execution '{id}' {detail}.")
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.NotFound;
}

/// <summary>The version asked for (or every version) is still building or failed to build: HTTP 409.</summary>
public sealed class FunctionNotReadyException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.FailedPrecondition;

    public override int? HttpStatus => StatusCodes.Status409Conflict;
}

/// <summary>A deploy's sources (or their archive) are over the size or file-count limit.</summary>
public sealed class SourceTooLargeException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.ResourceExhausted;

    public override int? HttpStatus => StatusCodes.Status413PayloadTooLarge;
}

public sealed class PayloadTooLargeException(long size, long limit)
    : GatewayException($"Payload of {size} bytes exceeds the limit of {limit} bytes.")
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.ResourceExhausted;

    public override int? HttpStatus => StatusCodes.Status413PayloadTooLarge;
}

/// <summary>The function's queue is full (or the mesh has no capacity); come back after <see cref="RetryAfterSeconds"/>.</summary>
public sealed class CapacityExceededException(string message, int retryAfterSeconds) : GatewayException(message)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;

    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.ResourceExhausted;

    public override IEnumerable<KeyValuePair<string, string>> Headers =>
        [new(Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader, RetryAfterSeconds.ToString(CultureInfo.InvariantCulture))];
}

/// <summary>
/// A bound on what one caller may keep (versions of a function, API keys) is reached: FAILED_PRECONDITION, HTTP 409, until
/// they delete something; retrying does not help, so no Retry-After.
/// </summary>
public sealed class LimitReachedException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.FailedPrecondition;

    public override int? HttpStatus => StatusCodes.Status409Conflict;
}

/// <summary>Sinks are online, but none runs the function's runtime or has room for its memory: HTTP 409.</summary>
public sealed class FunctionNotRunnableException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.FailedPrecondition;

    public override int? HttpStatus => StatusCodes.Status409Conflict;
}

public sealed class MeshUnavailableException(string message, Exception? inner = null) : GatewayException(message, inner)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.Unavailable;
}

/// <summary>The function ran and failed: trapped, exited non-zero, ran out of memory, or timed out.</summary>
public sealed class FunctionFailedException(string executionId, bool timedOut, string message) : GatewayException(message)
{
    public string ExecutionId { get; } = executionId;

    public override global::Grpc.Core.StatusCode StatusCode =>
        timedOut ? global::Grpc.Core.StatusCode.DeadlineExceeded : global::Grpc.Core.StatusCode.Unknown;

    public override IEnumerable<KeyValuePair<string, string>> Headers => [new("x-execution-id", ExecutionId)];
}

/// <summary>An HTTP function ran but wrote something other than a CGI response: HTTP 502, with the execution's id.</summary>
public sealed class BadFunctionResponseException(string executionId, string message) : GatewayException(message)
{
    public string ExecutionId { get; } = executionId;

    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.Unknown;

    public override int? HttpStatus => StatusCodes.Status502BadGateway;

    public override IEnumerable<KeyValuePair<string, string>> Headers => [new("x-execution-id", ExecutionId)];
}

/// <summary>No valid credentials (a wrong password, say): UNAUTHENTICATED, HTTP 401.</summary>
public sealed class UnauthenticatedException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.Unauthenticated;
}

/// <summary>The caller may not do this: PERMISSION_DENIED, HTTP 403.</summary>
public sealed class PermissionDeniedException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.PermissionDenied;
}

/// <summary>Something by that name exists: ALREADY_EXISTS, HTTP 409.</summary>
public sealed class AlreadyExistsException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.AlreadyExists;
}

/// <summary>A named thing other than a function or an execution is not there: NOT_FOUND, HTTP 404.</summary>
public sealed class NotFoundException(string message) : GatewayException(message)
{
    public override global::Grpc.Core.StatusCode StatusCode => global::Grpc.Core.StatusCode.NotFound;
}
