using System.Collections.Concurrent;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Retries;
using Faas.Sinks.Client.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Faas.Sinks.Client;

/// <summary>
/// The pull side of a sink: keeps one Pull stream open for the <see cref="SinkSession"/>'s registration (reopening it
/// with backoff, and for every new registration) and acknowledges, runs and completes every task within the sink's
/// slots and memory, releasing those it cannot run. On shutdown it stops pulling and waits (bounded) for its tasks.
/// </summary>
internal sealed class TaskPuller : IDisposable
{
    private readonly SinkSession session;
    private readonly ISinkTaskRunner? runner;
    private readonly SinkClientOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly SemaphoreSlim slots;
    private readonly MemoryBudget memory;
    private readonly ConcurrentDictionary<long, Task> tasks = new();
    private readonly CancellationTokenSource abort = new();
    private readonly Lock sync = new();

    private CancellationTokenSource? pullStream;
    private long nextTaskKey;
    private int running;

    public TaskPuller(SinkSession session, ISinkTaskRunner? runner, SinkClientOptions options, ILogger logger, TimeProvider time)
    {
        this.session = session;
        this.runner = runner;
        this.options = options;
        this.logger = logger;
        this.time = time;
        slots = new SemaphoreSlim(Math.Max(1, options.Slots));
        memory = new MemoryBudget(Math.Max(1, options.MemoryMb));
    }

    /// <summary>Tasks the sink runs now.</summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>Pulls until the sink stops, drains or is deleted.</summary>
    public async Task PullLoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var backoff = new Backoff(options.InitialRetryDelay, options.MaxRetryDelay);
        while (!stoppingToken.IsCancellationRequested && !session.Status.Draining && !session.Status.Deleted)
        {
            var sinkId = session.SinkId;
            var reason = sinkId is null ? "the sink is not registered" : await PullAsync(sinkId, backoff, stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested || session.Status.Draining || session.Status.Deleted)
            {
                break;
            }

            var wait = reason.Length == 0 ? TimeSpan.Zero : backoff.Next();
            if (sinkId is not null && reason.Length > 0)
            {
                Log.PullEnded(logger, sinkId, wait.TotalMilliseconds, reason);
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Ends the open Pull stream, if any (the loop decides whether to reopen it).</summary>
    public void CancelPullStream()
    {
        CancellationTokenSource? stream;
        lock (sync)
        {
            stream = pullStream;
        }

        try
        {
            stream?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That stream has ended already.
        }
    }

    /// <summary>Stops pulling, waits for <paramref name="pullLoop"/>, then (bounded) for the tasks it runs, cancelling those that overrun.</summary>
    public async Task ShutdownAsync(Task pullLoop)
    {
        CancelPullStream();
        try
        {
            await pullLoop.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.Unexpected(logger, e);
        }

        var pending = tasks.Values.ToArray();
        if (pending.Length == 0)
        {
            return;
        }

        Log.WaitingForTasks(logger, pending.Length, options.ShutdownTimeout.TotalMilliseconds);
        try
        {
            await Task.WhenAll(pending).WaitAsync(options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.TasksAbandoned(logger, tasks.Count);
            await abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5), time)).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        abort.Dispose();
        slots.Dispose();
    }

    /// <summary>One Pull stream, until it ends: why it ended, or "" when it was cancelled (stopping, draining, or registered again).</summary>
    private async Task<string> PullAsync(string sinkId, Backoff backoff, CancellationToken stoppingToken)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lock (sync)
        {
            pullStream = stream;
        }

        string? token = null;
        try
        {
            token = await session.TokenAsync(stream.Token).ConfigureAwait(false);
            using var call = session.Client.Pull(new PullTasksRequest { SinkId = sinkId }, SinkSession.Authorization(token), cancellationToken: stream.Token);
            Log.Pulling(logger, sinkId);
            await foreach (var task in call.ResponseStream.ReadAllAsync(stream.Token).ConfigureAwait(false))
            {
                backoff.Reset();
                Accept(sinkId, task, stoppingToken);
            }

            return "the sink manager closed it";
        }
        catch (Exception) when (stream.IsCancellationRequested)
        {
            // Stopping, draining, or registered again: the loop decides.
            return "";
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            Log.TokenRejected(logger);
            session.ForgetToken(token);
            return "the token was rejected";
        }
        catch (Exception e)
        {
            return e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
        }
        finally
        {
            lock (sync)
            {
                if (pullStream == stream)
                {
                    pullStream = null;
                }
            }
        }
    }

    private void Accept(string sinkId, SinkTask task, CancellationToken stoppingToken)
    {
        Log.TaskReceived(logger, task.TaskId, task.ExecutionId, task.Delivery);
        var key = Interlocked.Increment(ref nextTaskKey);
        tasks[key] = HandleTaskAsync(key, sinkId, task, stoppingToken);
    }

    private async Task HandleTaskAsync(long key, string sinkId, SinkTask task, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var memoryMb = (int)Math.Min(task.Function?.MemoryMb ?? 0, int.MaxValue);
        try
        {
            if (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(sinkId, task, "the sink is stopping").ConfigureAwait(false);
                return;
            }

            if (!await TaskCallAsync(task, "Ack", (headers, token) => session.Client.AckAsync(Ref(sinkId, task), headers, session.Deadline(), token))
                .ConfigureAwait(false))
            {
                return;
            }

            if (!await ReserveAsync(memoryMb, stoppingToken).ConfigureAwait(false))
            {
                await ReleaseAsync(sinkId, task, "the sink is stopping").ConfigureAwait(false);
                return;
            }

            await RunReservedAsync(sinkId, task, memoryMb).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever happened, the task goes elsewhere when its ack timeout or lease passes.
            Log.TaskCallFailed(logger, task.TaskId, "handling", e.Message);
        }
        finally
        {
            tasks.TryRemove(key, out _);
        }
    }

    /// <summary>Waits for a slot and the task's memory; false when the sink stops first.</summary>
    private async Task<bool> ReserveAsync(int memoryMb, CancellationToken stoppingToken)
    {
        try
        {
            await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                await memory.WaitAsync(memoryMb, stoppingToken).ConfigureAwait(false);
            }
            catch
            {
                slots.Release();
                throw;
            }

            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Runs the task in the slot and memory reserved for it and completes it (or releases it when it could not run); frees them after.</summary>
    private async Task RunReservedAsync(string sinkId, SinkTask task, int memoryMb)
    {
        Interlocked.Increment(ref running);
        try
        {
            ExecuteResponse result;
            try
            {
                result = await runner!.RunAsync(task, abort.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.TaskRunFailed(logger, e, task.TaskId);
                await ReleaseAsync(sinkId, task, e.Message).ConfigureAwait(false);
                return;
            }

            await CompleteAsync(sinkId, task, result).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref running);
            memory.Release(memoryMb);
            slots.Release();
        }
    }

    private async Task CompleteAsync(string sinkId, SinkTask task, ExecuteResponse result)
    {
        var request = new CompleteSinkTaskRequest { SinkId = sinkId, TaskId = task.TaskId, Result = result };
        var backoff = new Backoff(options.InitialRetryDelay, options.MaxRetryDelay);
        // The result is worth a few tries while the sink manager is briefly unreachable; past that, the lease
        // expires and the task runs elsewhere.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await session.CallAsync((headers, token) => session.Client.CompleteAsync(request, headers, session.Deadline(), token), abort.Token)
                    .ConfigureAwait(false);
                return;
            }
            catch (RpcException e) when (attempt < 5 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
            {
                Log.TaskCallFailed(logger, task.TaskId, "Complete", $"{e.StatusCode}: {e.Status.Detail}");
                await Task.Delay(backoff.Next(), time, abort.Token).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
            {
                Log.TaskGone(logger, task.TaskId, e.Status.Detail);
                return;
            }
        }
    }

    private async Task ReleaseAsync(string sinkId, SinkTask task, string reason)
    {
        if (await TaskCallAsync(task, "Release", (headers, token) => session.Client.ReleaseAsync(Ref(sinkId, task), headers, session.Deadline(), token))
            .ConfigureAwait(false))
        {
            Log.TaskReleased(logger, task.TaskId, reason);
        }
    }

    /// <summary>A call about one task; false (logged) when it failed, e.g. because the task is no longer this sink's.</summary>
    private async Task<bool> TaskCallAsync(SinkTask task, string name, Func<Metadata, CancellationToken, AsyncUnaryCall<SinkTaskAck>> call)
    {
        try
        {
            await session.CallAsync(call, abort.Token).ConfigureAwait(false);
            return true;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            Log.TaskGone(logger, task.TaskId, e.Status.Detail);
            return false;
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException)
        {
            Log.TaskCallFailed(logger, task.TaskId, name, e.Message);
            return false;
        }
    }

    private static SinkTaskRef Ref(string sinkId, SinkTask task) => new() { SinkId = sinkId, TaskId = task.TaskId };
}
