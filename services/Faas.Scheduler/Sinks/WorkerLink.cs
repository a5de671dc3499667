using System.Collections.Concurrent;
using System.Diagnostics;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// The scheduler's <c>Execute</c> calls to one push worker. Calls are multiplexed on one long-lived
/// <c>ExecuteStream</c> (one HTTP/2 stream, authenticated once, instead of a request, headers and a server pipeline
/// per call); a call with a large payload goes as a unary <c>Execute</c> so that it does not hold up the small ones
/// sharing the stream, and so does every call to a worker that does not offer the stream. Either way a call ends as the
/// unary call would: its <see cref="ExecuteResponse"/>, or an <see cref="RpcException"/> with the same status codes
/// (<c>DEADLINE_EXCEEDED</c> at the deadline, <c>CANCELLED</c> when the token fires, <c>UNAVAILABLE</c> when the
/// stream breaks under it; a stream that cannot connect fails with the connection error, so the caller knows the
/// call never reached the worker).
/// </summary>
public sealed class WorkerLink(Protos.V1.Runtime.RuntimeClient client, WorkerLinkOptions options) : IDisposable
{
    private readonly Lock gate = new();
    private Lane? lane;
    private long nextCallId;
    private volatile bool streamUnsupported;
    private bool disposed;

    /// <summary>Whether the next small call would go on the stream (false once the worker said it has none).</summary>
    public bool Streams => options.Enabled && !streamUnsupported;

    public async Task<ExecuteResponse> ExecuteAsync(
        ExecuteRequest request, string executionId, string traceId, DateTime deadline, CancellationToken cancellationToken)
    {
        if (!Streams || request.Payload.Length > options.MaxStreamedPayloadBytes)
        {
            return await UnaryAsync(request, executionId, traceId, deadline, cancellationToken).ConfigureAwait(false);
        }

        var current = CurrentLane();
        try
        {
            return await current.CallAsync((ulong)Interlocked.Increment(ref nextCallId), request, executionId, traceId, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && !current.Answered)
        {
            // The worker has no ExecuteStream (an external sink built against an older contract): nothing ran.
            streamUnsupported = true;
            return await UnaryAsync(request, executionId, traceId, deadline, cancellationToken).ConfigureAwait(false);
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

    private Task<ExecuteResponse> UnaryAsync(ExecuteRequest request, string executionId, string traceId, DateTime deadline, CancellationToken cancellationToken) =>
        client.ExecuteAsync(
            request, new Metadata { { "x-execution-id", executionId }, { "x-trace-id", traceId } }, deadline, cancellationToken).ResponseAsync;

    /// <summary>The open stream; a new one when there is none, it broke, or it has lived its time (the old one drains).</summary>
    private Lane CurrentLane()
    {
        var current = Volatile.Read(ref lane);
        if (current is { Broken: false } && !current.Expired(options.StreamLifetime))
        {
            return current;
        }

        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (lane is { Broken: false } open && !open.Expired(options.StreamLifetime))
            {
                return open;
            }

            var old = lane;
            lane = new Lane(client);
            if (old is { Broken: false })
            {
                _ = old.DrainAsync();
            }

            return lane;
        }
    }

    /// <summary>One <c>ExecuteStream</c> call: its writer, the reader matching results to calls, the calls waiting.</summary>
    private sealed class Lane : IDisposable
    {
        private readonly AsyncDuplexStreamingCall<ExecuteStreamRequest, ExecuteStreamResponse> stream;
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ExecuteStreamResponse>> pending = new();
        private readonly SemaphoreSlim writeGate = new(1, 1);
        private readonly CancellationTokenSource closing = new();
        private readonly long opened = Stopwatch.GetTimestamp();
        private readonly Task reader;
        private volatile bool broken;
        private volatile bool draining;
        private volatile bool answered;
        private volatile RpcException? failure;

        public Lane(Protos.V1.Runtime.RuntimeClient client)
        {
            stream = client.ExecuteStream(cancellationToken: closing.Token);
            reader = ReadAsync();
        }

        public bool Broken => broken;

        /// <summary>Whether any result came back on this stream (the worker does serve it).</summary>
        public bool Answered => answered;

        public bool Expired(TimeSpan lifetime) => draining || Stopwatch.GetElapsedTime(opened) >= lifetime;

        public async Task<ExecuteResponse> CallAsync(
            ulong callId, ExecuteRequest request, string executionId, string traceId, DateTime deadline, CancellationToken cancellationToken)
        {
            var timeout = deadline - DateTime.UtcNow;
            if (timeout <= TimeSpan.Zero)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            }

            // Completed by the reader; what awaits it runs right there (one thread hand-off fewer per call).
            var result = new TaskCompletionSource<ExecuteStreamResponse>();
            pending[callId] = result;
            if (broken)
            {
                // It broke before this call was registered: the reader will not answer it.
                pending.TryRemove(callId, out _);
                throw Failure("The stream to the worker broke.");
            }

            var message = new ExecuteStreamRequest
            {
                CallId = callId, Request = request, ExecutionId = executionId, TraceId = traceId,
                Traceparent = Activity.Current?.Id ?? "", TimeoutMs = (uint)Math.Min(Math.Ceiling(timeout.TotalMilliseconds), uint.MaxValue),
            };
            try
            {
                await WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Never sent: it waited for the writer.
                pending.TryRemove(callId, out _);
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }
            catch (Exception ex)
            {
                pending.TryRemove(callId, out _);
                throw ex as RpcException ?? Failure($"The call could not be sent to the worker: {ex.Message}");
            }

            ExecuteStreamResponse response;
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
                Abandon(callId);
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }

            return response.StatusCode == 0
                ? response.Response ?? new ExecuteResponse()
                : throw new RpcException(new Status((StatusCode)response.StatusCode, response.StatusDetail));
        }

        /// <summary>New calls go to another stream; this one ends once its calls have answered.</summary>
        public async Task DrainAsync()
        {
            draining = true;
            while (!pending.IsEmpty && !broken)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }

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
            FailPending(new RpcException(new Status(StatusCode.Unavailable, "The stream to the worker was closed.")));
        }

        private async Task WriteAsync(ExecuteStreamRequest message, CancellationToken cancellationToken)
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

        /// <summary>The caller stopped waiting: tell the worker to stop the run (best effort).</summary>
        private void Abandon(ulong callId)
        {
            if (pending.TryRemove(callId, out _) && !broken)
            {
                _ = CancelAsync(callId);
            }
        }

        private async Task CancelAsync(ulong callId)
        {
            try
            {
                await WriteAsync(new ExecuteStreamRequest { CallId = callId, Cancel = true }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The stream broke: the worker cancels every run of it anyway.
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
                    if (pending.TryRemove(response.CallId, out var result))
                    {
                        result.TrySetResult(response);
                    }
                }

                ended = new RpcException(new Status(StatusCode.Unavailable, "The worker ended the stream."));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented || NeverConnected(ex))
            {
                // Nothing reached the worker: the caller sees the cause as the unary call would show it.
                ended = ex;
            }
            catch (Exception ex)
            {
                ended = new RpcException(new Status(StatusCode.Unavailable, $"The stream to the worker broke: {ex.Message}"));
            }

            failure = ended;
            broken = true;
            FailPending(ended);
        }

        /// <summary>Why the stream broke, as the reader saw it (the connection error if it never connected).</summary>
        private RpcException Failure(string otherwise) => failure ?? new RpcException(new Status(StatusCode.Unavailable, otherwise));

        private bool NeverConnected(RpcException ex) =>
            !Answered && ex.StatusCode == StatusCode.Unavailable && ex.Status.DebugException is not null;

        private void FailPending(RpcException failure)
        {
            foreach (var callId in pending.Keys)
            {
                if (pending.TryRemove(callId, out var result))
                {
                    result.TrySetException(failure);
                }
            }
        }
    }
}

/// <summary>How the scheduler calls push workers (section "Scheduler:WorkerStreams").</summary>
public sealed class WorkerLinkOptions
{
    /// <summary>Multiplex calls on one long-lived stream per worker; false: one unary call each.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Calls with a larger payload go unary, so a big transfer does not hold up the small calls sharing the stream.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 64 * 1024 * 1024)]
    public int MaxStreamedPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>A stream is replaced after this long (it was authenticated once, when it opened).</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromMinutes(5);
}
