namespace Faas.Protos.V1;

/// <summary>The rules of the sink contract both sides apply: what a sink can run, and the function's runtime.</summary>
public static class SinkContract
{
    /// <summary>The runtime of functions that name none.</summary>
    public const string DefaultRuntime = "wasm";

    /// <summary>JavaScript source, run as it is by sinks that list this runtime (such as the Node.js sample sink).</summary>
    public const string JavaScriptRuntime = "javascript";

    /// <summary>The runtime of a version deployed in <paramref name="language"/>: every language but JavaScript becomes WebAssembly.</summary>
    public static string RuntimeOfLanguage(string language) => language == JavaScriptRuntime ? JavaScriptRuntime : DefaultRuntime;

    /// <summary>Trailer on the sink manager's UNAVAILABLE for a task refused because no sink at all is online (nothing ran).</summary>
    public const string NoSinkTrailer = "faas-no-sink";

    /// <summary>
    /// Trailer on a sink's error for a call it refused before running anything (<c>not_run</c> on a multiplexed stream):
    /// the caller may say why and try again later, knowing the function did not run.
    /// </summary>
    public const string NotRunTrailer = "faas-not-run";

    /// <summary>An error whose sink says the function did not run (<see cref="NotRunTrailer"/>).</summary>
    public static Grpc.Core.RpcException NotRunError(Grpc.Core.StatusCode code, string detail) =>
        new(new Grpc.Core.Status(code, detail), new Grpc.Core.Metadata { { NotRunTrailer, "1" } });

    /// <summary>Longest execution id a sink accepts (the gateway's are UUIDs, 36 characters).</summary>
    public const int MaxExecutionIdLength = 64;

    /// <summary>
    /// The execution id of a request, which every execution request carries (<c>execution_id</c>): the caller assigns it
    /// (the record, the logs and the run's <c>FAAS_EXECUTION_ID</c> must agree), so a request without one is refused
    /// (INVALID_ARGUMENT), never given one nobody else knows.
    /// </summary>
    public static string RequireExecutionId(string? executionId) =>
        string.IsNullOrEmpty(executionId)
            ? throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument, "The execution id is required (execution_id)."))
            : executionId.Length > MaxExecutionIdLength || executionId.Any(c => c is < '!' or > '~')
                ? throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument, $"The execution id is 1 to {MaxExecutionIdLength} visible ASCII characters."))
                : executionId;

    /// <summary>Whether the sink said the function did not run.</summary>
    public static bool NotRun(Grpc.Core.RpcException error) => error.Trailers.GetValue(NotRunTrailer) is not null;

    /// <summary>A call to a sink whose connection could not be made (refused, reset while connecting): nothing was sent, so another sink may take it.</summary>
    public static bool NeverReached(Grpc.Core.RpcException error)
    {
        if (error.StatusCode != Grpc.Core.StatusCode.Unavailable)
        {
            return false;
        }

        for (var inner = error.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Http.HttpRequestException { HttpRequestError: System.Net.Http.HttpRequestError.ConnectionError }
                or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// How a call to a pushed sink ended without a result, by the rules the gateway's one hop and the scheduler's Dispatch
    /// both apply (in this order): the sink was declared gone while the call ran (<paramref name="sinkLost"/>, and not the
    /// caller cancelling); it refused before running anything; it ran and lost the result; the call never reached it; the
    /// connection broke mid-call. <see cref="SinkCallFailure.None"/> for anything else, which is not the sink's doing.
    /// </summary>
    public static SinkCallFailure ClassifyFailure(Exception error, bool sinkLost, bool callerCancelled) => error switch
    {
        OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled } when sinkLost && !callerCancelled => SinkCallFailure.SinkLost,
        Grpc.Core.RpcException e when NotRun(e) => SinkCallFailure.NotRun,
        Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Aborted } => SinkCallFailure.ResultLost,
        Grpc.Core.RpcException e when NeverReached(e) => SinkCallFailure.NeverReached,
        Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.Internal or Grpc.Core.StatusCode.Unknown } => SinkCallFailure.Broken,
        _ => SinkCallFailure.None,
    };

    /// <summary>The runtime the function needs: <c>wasm</c> unless it names another.</summary>
    public static string RuntimeName(this FunctionSpec function) => string.IsNullOrEmpty(function.Runtime) ? DefaultRuntime : function.Runtime;

    /// <summary>WARM when unspecified.</summary>
    public static ExecutionMode Normalized(this ExecutionMode mode) => mode == ExecutionMode.Unspecified ? ExecutionMode.Warm : mode;

    /// <summary>The largest function memory the sink takes, MiB: its <c>max_function_memory_mb</c>, at most its memory.</summary>
    public static long MaxFunctionMemoryMb(this SinkCapacity capacity) =>
        capacity.MaxFunctionMemoryMb == 0 ? capacity.MemoryMb : Math.Min(capacity.MaxFunctionMemoryMb, capacity.MemoryMb);

    /// <summary>Whether a sink of this capacity can run such a function at all (runtime, mode, memory), whatever its load.</summary>
    public static bool CanRun(this SinkCapacity capacity, string runtime, ExecutionMode mode, long memoryMb) =>
        capacity.Runtimes.Contains(runtime) && capacity.Serves(mode) && memoryMb <= capacity.MaxFunctionMemoryMb();

    /// <summary>Whether a sink of this capacity serves the execution mode (WARM when it lists none).</summary>
    public static bool Serves(this SinkCapacity capacity, ExecutionMode mode) =>
        capacity.Modes.Count == 0 ? mode.Normalized() == ExecutionMode.Warm : capacity.Modes.Contains(mode.Normalized());
}

/// <summary>How a call to a pushed sink ended without a result (<see cref="SinkContract.ClassifyFailure"/>), and what that means for a retry.</summary>
public enum SinkCallFailure
{
    /// <summary>Not a failure of the sink (the caller cancelled, a deadline passed, an error status of the function's own): passed on as it is.</summary>
    None,

    /// <summary>The sink was declared gone (it stopped heartbeating) while the call ran: whether the function ran is unknown.</summary>
    SinkLost,

    /// <summary>The sink refused before running anything (<see cref="SinkContract.NotRunTrailer"/>): the function did not run.</summary>
    NotRun,

    /// <summary>The sink ran it and lost the result (ABORTED, a container that ended without one): it ran, with an unknown outcome.</summary>
    ResultLost,

    /// <summary>The connection could not be made: nothing was sent, so another sink may take it.</summary>
    NeverReached,

    /// <summary>The connection broke mid-call: whether the function ran is unknown.</summary>
    Broken,
}
