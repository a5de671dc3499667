using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace Faas.ServiceDefaults.Multiplexing;

/// <summary>What the client writes into a call's request and reads from its answer.</summary>
public interface IClientEnvelope<TRequest, TResponse>
{
    ulong CallIdOf(TResponse response);

    TRequest CancelOf(ulong callId);

    /// <summary>The error the unary call would have ended with; null when the answer is a result.</summary>
    RpcException? FailureOf(TResponse response);
}

/// <summary>
/// The calling side of a multiplexed stream: unary-like calls to one peer carried on one long-lived bidirectional gRPC
/// stream (one HTTP/2 stream, authenticated once, instead of a request, headers and a server pipeline per call), matched by
/// call id. A call ends as the unary call would: its answer, or an <see cref="RpcException"/> with the same status codes
/// (<c>DEADLINE_EXCEEDED</c> at the deadline, <c>CANCELLED</c> when the token fires and the peer is told, <c>UNAVAILABLE</c>
/// when the stream breaks under it; a stream that cannot connect fails with the connection error, so the caller can tell
/// that the call never reached the peer). The stream is replaced after its lifetime (the old one ends once
/// its calls answered) and when it breaks.
/// </summary>
public sealed class MultiplexedClient<TRequest, TResponse>(
    Func<CancellationToken, AsyncDuplexStreamingCall<TRequest, TResponse>> open, IClientEnvelope<TRequest, TResponse> envelope, TimeSpan lifetime)
    : IDisposable
    where TRequest : class
    where TResponse : class
{
    private readonly Lock gate = new();
    private Lane? lane;
    private long nextCallId;
    private volatile bool unsupported;
    private bool disposed;

    /// <summary>Whether the peer said it has no such stream (<c>UNIMPLEMENTED</c>): its calls must go unary.</summary>
    public bool Unsupported => unsupported;

    /// <summary>
    /// Sends the request <paramref name="build"/> makes from the call id and the time left (infinite when
    /// <paramref name="deadline"/> is <see cref="DateTime.MaxValue"/>, as for a unary call without one), and waits for its answer;
    /// null if the peer has no such stream (nothing ran: call it unary).
    /// </summary>
    public async Task<TResponse?> CallAsync(Func<ulong, TimeSpan, TRequest> build, DateTime deadline, CancellationToken cancellationToken)
    {
        var current = CurrentLane();
        try
        {
            return await current.CallAsync((ulong)Interlocked.Increment(ref nextCallId), build, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && !current.Answered)
        {
            unsupported = true;
            return null;
        }
    }

    public void Dispose()
    {
        Lane? last;
        lock (gate)
        {
            disposed = true;
            last = lane;
            lane = null;
        }

        last?.Dispose();
    }

    /// <summary>The open stream; a new one when there is none, it broke, or it has lived its time (the old one drains).</summary>
    private Lane CurrentLane()
    {
        var current = Volatile.Read(ref lane);
        if (current is { Broken: false } && !current.Expired(lifetime))
        {
            return current;
        }

        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (lane is { Broken: false } live && !live.Expired(lifetime))
            {
                return live;
            }

            var old = lane;
            lane = new Lane(open, envelope);
            if (old is { Broken: false })
            {
                _ = old.DrainAsync();
            }

            return lane;
        }
    }

    /// <summary>One stream: its writer, the reader matching answers to calls, the calls waiting.</summary>
    private sealed class Lane : IDisposable
    {
        private readonly IClientEnvelope<TRequest, TResponse> envelope;
        private readonly AsyncDuplexStreamingCall<TRequest, TResponse> stream;
        /// <summary>How long a cancelled call without a deadline waits for its peer to stop it.</summary>
        private static readonly TimeSpan UnboundedSettle = TimeSpan.FromSeconds(30);

        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<TResponse>> pending = new();
        private readonly SemaphoreSlim writeGate = new(1, 1);
        private readonly CancellationTokenSource closing = new();
        private readonly TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously); // draining, and no call left
        private readonly long opened = Stopwatch.GetTimestamp();
        private readonly Task reader;
        private volatile bool broken;
        private volatile bool draining;
        private volatile bool answered;
        private volatile RpcException? failure;

        public Lane(Func<CancellationToken, AsyncDuplexStreamingCall<TRequest, TResponse>> open, IClientEnvelope<TRequest, TResponse> envelope)
        {
            this.envelope = envelope;
            stream = open(closing.Token);
            reader = ReadAsync();
        }

        public bool Broken => broken;

        /// <summary>Whether any answer came back on this stream (the peer does serve it).</summary>
        public bool Answered => answered;

        public bool Expired(TimeSpan lifetime) => draining || Stopwatch.GetElapsedTime(opened) >= lifetime;

        public async Task<TResponse> CallAsync(ulong callId, Func<ulong, TimeSpan, TRequest> build, DateTime deadline, CancellationToken cancellationToken)
        {
            var timeout = deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
            if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            }

            // Completed by the reader: inline when it is the only call waiting (one thread hand-off fewer), else on the pool.
            var result = new TaskCompletionSource<TResponse>();
            pending[callId] = result;
            if (broken)
            {
                // It broke before this call was registered: the reader will not answer it.
                Forget(callId, out _);
                throw Failure("The stream broke.");
            }

            try
            {
                await WriteAsync(build(callId, timeout), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Never sent: it waited for the writer.
                Forget(callId, out _);
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }
            catch (Exception ex)
            {
                Forget(callId, out _);
                throw ex as RpcException ?? Failure($"The call could not be sent: {ex.Message}");
            }

            TResponse response;
            try
            {
                response = await result.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Abandon(callId);
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await SettleAsync(callId, result.Task, deadline).ConfigureAwait(false);
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }

            return envelope.FailureOf(response) is { } failed ? throw failed : response;
        }

        /// <summary>New calls go to another stream; this one ends once its calls have answered.</summary>
        public async Task DrainAsync()
        {
            draining = true;
            if (pending.IsEmpty || broken)
            {
                idle.TrySetResult();
            }

            await idle.Task.ConfigureAwait(false);

            try
            {
                await writeGate.WaitAsync().ConfigureAwait(false);
                try
                {
                    await stream.RequestStream.CompleteAsync().ConfigureAwait(false);
                }
                finally
                {
                    writeGate.Release();
                }

                await reader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Broken meanwhile: nothing was waiting on it.
            }
            finally
            {
                Dispose();
            }
        }

        public void Dispose()
        {
            broken = true;
            closing.Cancel();
            stream.Dispose();
            FailPending(new RpcException(new Status(StatusCode.Unavailable, "The stream was closed.")));
        }

        private async Task WriteAsync(TRequest message, CancellationToken cancellationToken)
        {
            await writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await stream.RequestStream.WriteAsync(message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                broken = true;
                throw;
            }
            finally
            {
                writeGate.Release();
            }
        }

        /// <summary>
        /// The caller cancelled: tell the peer to stop the call, and return once it has answered (it answers when the work
        /// has stopped) or the call's deadline has passed. What the caller holds for the call (a slot, a quota) is thus
        /// held while the work runs, not only while someone waits for it.
        /// </summary>
        private async Task SettleAsync(ulong callId, Task<TResponse> answer, DateTime deadline)
        {
            if (broken || !pending.ContainsKey(callId))
            {
                Forget(callId, out _);
                return;
            }

            _ = CancelAsync(callId);
            var remaining = deadline == DateTime.MaxValue ? UnboundedSettle : deadline - DateTime.UtcNow;
            try
            {
                await answer.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // No answer in time, or the stream broke: either way the call is over for this side.
            }

            Forget(callId, out _);
        }

        /// <summary>The caller stopped waiting: tell the peer to stop the call (best effort).</summary>
        private void Abandon(ulong callId)
        {
            if (Forget(callId, out _) && !broken)
            {
                _ = CancelAsync(callId);
            }
        }

        private async Task CancelAsync(ulong callId)
        {
            try
            {
                await WriteAsync(envelope.CancelOf(callId), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The stream broke: the peer cancels every call of it anyway.
            }
        }

        private async Task ReadAsync()
        {
            await Task.Yield();
            RpcException ended;
            try
            {
                while (await stream.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                {
                    var response = stream.ResponseStream.Current;
                    answered = true;
                    if (Forget(envelope.CallIdOf(response), out var result))
                    {
                        if (pending.IsEmpty)
                        {
                            // The only call waiting: its caller goes on right here, without waking another thread.
                            result.TrySetResult(response);
                        }
                        else
                        {
                            // Others wait too: their answers must not queue behind this caller's work on the reader.
                            ThreadPool.UnsafeQueueUserWorkItem(static answer => answer.Result.TrySetResult(answer.Response), (Result: result, Response: response), preferLocal: false);
                        }
                    }
                }

                ended = new RpcException(new Status(StatusCode.Unavailable, "The peer ended the stream."));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented || NeverConnected(ex))
            {
                // Nothing reached the peer: the caller sees the cause as the unary call would show it.
                ended = ex;
            }
            catch (Exception ex)
            {
                ended = new RpcException(new Status(StatusCode.Unavailable, $"The stream broke: {ex.Message}"));
            }

            failure = ended;
            broken = true;
            FailPending(ended);
        }

        /// <summary>Stops tracking a call; the last one gone lets a drain finish.</summary>
        private bool Forget(ulong callId, [NotNullWhen(true)] out TaskCompletionSource<TResponse>? result)
        {
            var removed = pending.TryRemove(callId, out result);
            if (draining && pending.IsEmpty)
            {
                idle.TrySetResult();
            }

            return removed;
        }

        /// <summary>Why the stream broke, as the reader saw it (the connection error if it never connected).</summary>
        private RpcException Failure(string otherwise) => failure ?? new RpcException(new Status(StatusCode.Unavailable, otherwise));

        private bool NeverConnected(RpcException ex) =>
            !Answered && ex.StatusCode == StatusCode.Unavailable && ex.Status.DebugException is not null;

        /// <summary>The stream is over: every call still waiting fails, and a drain has nothing left to wait for.</summary>
        private void FailPending(RpcException ended)
        {
            foreach (var callId in pending.Keys)
            {
                if (pending.TryRemove(callId, out var result))
                {
                    result.TrySetException(ended);
                }
            }

            idle.TrySetResult();
        }
    }
}
