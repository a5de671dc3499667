using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace Faas.ServiceDefaults.Multiplexing;

/// <summary>What the server reads from a call's request and writes into its answer.</summary>
public interface IServerEnvelope<TRequest, TResponse>
{
    ulong CallIdOf(TRequest request);

    /// <summary>Whether the request only cancels its call.</summary>
    bool IsCancel(TRequest request);

    /// <summary>How long the caller waits (its unary deadline); zero: no limit.</summary>
    TimeSpan TimeoutOf(TRequest request);

    /// <summary>The answer of a call that ended with <paramref name="error"/> (its status, and trailers) instead of a result.</summary>
    TResponse Failed(ulong callId, RpcException error);
}

/// <summary>
/// The serving side of a multiplexed stream (many unary-like calls on one bidirectional gRPC stream, matched by call id):
/// every request starts its call at once, each call writes its answer when it ends (one write at a time, as a gRPC stream
/// takes them), a cancel message, the call's timeout or the stream's end cancel it, and the stream ends once the caller has
/// completed its side (or the service began stopping) and every call taken has answered.
/// A call that throws <see cref="RpcException"/> answers with its status, as the unary call would have ended.
/// </summary>
public static class MultiplexedServer
{
    public static async Task ServeAsync<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, ServerCallContext context,
        IServerEnvelope<TRequest, TResponse> envelope, Func<TRequest, MultiplexedCall, Task<TResponse>> run, CancellationToken stopping)
    {
        using var session = new Session<TResponse>(responses, context.CancellationToken);
        // A service shutting down takes no new calls from the stream (its caller opens a new one, elsewhere) and ends it
        // once the calls it took have answered, instead of holding the shutdown until the stream is cut.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        try
        {
            while (await NextAsync(requests, reading.Token, stopping).ConfigureAwait(false))
            {
                var request = requests.Current;
                var callId = envelope.CallIdOf(request);
                if (envelope.IsCancel(request))
                {
                    session.Cancel(callId);
                }
                else if (session.Begin(callId, envelope.TimeoutOf(request)) is { } call)
                {
                    _ = RunAsync(request, call, session, envelope, run);
                }
            }
        }
        finally
        {
            await session.DrainAsync().ConfigureAwait(false);
        }
    }

    private static async Task<bool> NextAsync<TRequest>(IAsyncStreamReader<TRequest> requests, CancellationToken reading, CancellationToken stopping)
    {
        try
        {
            return await requests.MoveNext(reading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task RunAsync<TRequest, TResponse>(
        TRequest request, MultiplexedCall call, Session<TResponse> session, IServerEnvelope<TRequest, TResponse> envelope,
        Func<TRequest, MultiplexedCall, Task<TResponse>> run)
    {
        await Task.Yield(); // the reading loop goes on to the next request at once
        TResponse response;
        try
        {
            response = await run(request, call).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            response = envelope.Failed(call.Id, ex);
        }
        catch (OperationCanceledException) when (call.Token.IsCancellationRequested)
        {
            response = envelope.Failed(call.Id, new RpcException(call.DeadlinePassed
                ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")
                : new Status(StatusCode.Cancelled, "The call was cancelled.")));
        }
        catch (Exception ex)
        {
            // What a unary handler's unhandled exception becomes.
            response = envelope.Failed(call.Id, new RpcException(new Status(StatusCode.Unknown, $"Exception was thrown by handler: {ex.GetType().Name}: {ex.Message}")));
        }

        await session.CompleteAsync(call, response, envelope).ConfigureAwait(false);
    }

    private sealed class Session<TResponse>(IServerStreamWriter<TResponse> writer, CancellationToken streamToken) : IDisposable
    {
        private readonly ConcurrentDictionary<ulong, MultiplexedCall> calls = new();
        private readonly SemaphoreSlim writeGate = new(1, 1);
        private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Calls not yet answered, plus one while requests are still being read.
        private int outstanding = 1;

        /// <summary>Starts tracking call <paramref name="id"/>; null if that id is already running on this stream.</summary>
        public MultiplexedCall? Begin(ulong id, TimeSpan timeout)
        {
            var call = new MultiplexedCall(id, streamToken, timeout);
            if (!calls.TryAdd(id, call))
            {
                call.Dispose();
                return null;
            }

            Interlocked.Increment(ref outstanding);
            return call;
        }

        public void Cancel(ulong id)
        {
            if (calls.TryGetValue(id, out var call))
            {
                call.Cancel();
            }
        }

        /// <summary>Writes the call's answer (or, if that cannot be sent, why) and forgets the call.</summary>
        public async Task CompleteAsync<TRequest>(MultiplexedCall call, TResponse response, IServerEnvelope<TRequest, TResponse> envelope)
        {
            try
            {
                if (!await TryWriteAsync(response).ConfigureAwait(false))
                {
                    await TryWriteAsync(envelope.Failed(call.Id, new RpcException(new Status(StatusCode.Internal, "The answer could not be sent.")))).ConfigureAwait(false);
                }
            }
            finally
            {
                calls.TryRemove(call.Id, out _);
                call.Dispose();
                Release();
            }
        }

        /// <summary>No more requests will come: completes once every call has answered.</summary>
        public Task DrainAsync()
        {
            Release();
            return drained.Task;
        }

        public void Dispose() => writeGate.Dispose();

        /// <summary>False if the write failed while the stream is still up (the answer could not be sent as it is).</summary>
        private async Task<bool> TryWriteAsync(TResponse response)
        {
            try
            {
                await writeGate.WaitAsync(streamToken).ConfigureAwait(false);
                try
                {
                    await writer.WriteAsync(response, streamToken).ConfigureAwait(false);
                }
                finally
                {
                    writeGate.Release();
                }

                return true;
            }
            catch (Exception) when (streamToken.IsCancellationRequested)
            {
                // The caller went away: nobody is left to answer.
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref outstanding) == 0)
            {
                drained.TrySetResult();
            }
        }
    }
}

/// <summary>One call on a multiplexed stream: cancelled by its caller, by its timeout, or with the stream.</summary>
public sealed class MultiplexedCall : IDisposable
{
    private readonly CancellationTokenSource cancellation;
    private readonly long deadline;
    private readonly Timer? timer;
    private volatile bool timedOut;

    public MultiplexedCall(ulong id, CancellationToken streamToken, TimeSpan timeout)
    {
        Id = id;
        Timeout = timeout;
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(streamToken);
        if (timeout > TimeSpan.Zero)
        {
            deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            // Its own timer rather than CancelAfter: a timer may fire a little before the stopwatch says the deadline has
            // passed, and a call cut short by its deadline must end DEADLINE_EXCEEDED, never CANCELLED.
            timer = new Timer(static state => ((MultiplexedCall)state!).TimeOut(), this, timeout, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    public ulong Id { get; }

    /// <summary>How long the caller waits (its unary deadline); zero: no limit.</summary>
    public TimeSpan Timeout { get; }

    public CancellationToken Token => cancellation.Token;

    public bool DeadlinePassed => timedOut || (deadline != 0 && Stopwatch.GetTimestamp() >= deadline);

    public void Cancel()
    {
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        cancellation.Dispose();
    }

    private void TimeOut()
    {
        timedOut = true;
        Cancel();
    }
}
