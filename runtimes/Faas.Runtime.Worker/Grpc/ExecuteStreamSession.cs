using System.Collections.Concurrent;
using System.Diagnostics;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Runtime.Worker.Grpc;

/// <summary>
/// The calls running on one <c>ExecuteStream</c>: each one's cancellation (the caller's cancel message, its timeout, the
/// stream's end) and the one writer their results share, since a gRPC stream takes one write at a time.
/// </summary>
internal sealed class ExecuteStreamSession(IServerStreamWriter<ExecuteStreamResponse> writer, CancellationToken streamToken) : IDisposable
{
    private readonly ConcurrentDictionary<ulong, Call> calls = new();
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Runs not yet answered, plus one while requests are still being read.
    private int outstanding = 1;

    /// <summary>Starts tracking call <paramref name="id"/>; null if that id is already running on this stream.</summary>
    public Call? Begin(ulong id, uint timeoutMs)
    {
        var call = new Call(id, streamToken, timeoutMs);
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

    /// <summary>Writes the call's result (or, if that cannot be sent, why) and forgets the call.</summary>
    public async Task CompleteAsync(Call call, ExecuteStreamResponse response)
    {
        try
        {
            if (!await TryWriteAsync(response).ConfigureAwait(false))
            {
                await TryWriteAsync(new ExecuteStreamResponse
                {
                    CallId = response.CallId, StatusCode = (int)StatusCode.Internal, StatusDetail = "The worker could not send the result.",
                }).ConfigureAwait(false);
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

    /// <summary>False if the write failed while the stream is still up (the result could not be sent as it is).</summary>
    private async Task<bool> TryWriteAsync(ExecuteStreamResponse response)
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

    /// <summary>One call on the stream: cancelled by the caller, by its timeout, or with the stream.</summary>
    public sealed class Call : IDisposable
    {
        private readonly CancellationTokenSource cancellation;
        private readonly long deadline;

        public Call(ulong id, CancellationToken streamToken, uint timeoutMs)
        {
            Id = id;
            cancellation = CancellationTokenSource.CreateLinkedTokenSource(streamToken);
            if (timeoutMs > 0)
            {
                deadline = Stopwatch.GetTimestamp() + (long)(timeoutMs * (Stopwatch.Frequency / 1000.0));
                cancellation.CancelAfter(TimeSpan.FromMilliseconds(timeoutMs));
            }
        }

        public ulong Id { get; }

        public CancellationToken Token => cancellation.Token;

        public bool DeadlinePassed => deadline != 0 && Stopwatch.GetTimestamp() >= deadline;

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

        public void Dispose() => cancellation.Dispose();
    }
}
