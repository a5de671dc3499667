using System.Data.Common;
using Faas.Wasm.Modules;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Worker.Grpc;

/// <summary>The one place where the worker's domain errors become gRPC status codes.</summary>
internal static class RpcErrors
{
    public static RpcException? From(Exception exception, ServerCallContext context) =>
        From(exception, context.CancellationToken, () => context.Deadline <= DateTime.UtcNow);

    /// <summary>As for a unary call, with the call's own token and whether its deadline passed.</summary>
    public static RpcException? From(Exception exception, CancellationToken callToken, Func<bool> deadlinePassed) => exception switch
    {
        OperationCanceledException when callToken.IsCancellationRequested => new RpcException(
            deadlinePassed()
                ? new Status(StatusCode.DeadlineExceeded, "The deadline passed before the function could run.")
                : new Status(StatusCode.Cancelled, "The call was cancelled before the function could run.")),
        ModuleNotFoundException notFound => new RpcException(new Status(StatusCode.NotFound, notFound.Message)),
        ModuleLoadException unreadable => new RpcException(new Status(StatusCode.FailedPrecondition, unreadable.Message)),
        ArgumentException invalid => new RpcException(new Status(StatusCode.InvalidArgument, invalid.Message)),
        // Nothing ran: the scheduler tells the caller why, and does not take the worker for lost.
        DbException unavailable => SinkContract.NotRunError(StatusCode.Unavailable, $"The artifact store is unavailable: {unavailable.Message}"),
        _ => null,
    };
}
