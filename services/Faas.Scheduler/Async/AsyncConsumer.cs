using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Queues;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Queues;
using Faas.ServiceDefaults.Retries;
using Faas.ServiceDefaults.Tracing;
using Faas.Shared;
using Faas.Storage.Executions;
using Faas.Storage.Logs;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Execution = Faas.Storage.Model.Execution;
using ExecutionAttempt = Faas.Storage.Model.ExecutionAttempt;
using ExecutionStatus = Faas.Storage.Model.ExecutionStatus;

namespace Faas.Scheduler.Async;

/// <summary>
/// Takes asynchronous invocations from the per-function reliable queues and runs them through the same
/// dispatcher (so the same per-function queue, concurrency limit and placement) as synchronous calls.
/// Each round visits the function queues in a rotating order and leases from each at most its free
/// concurrency, a batch at most, and the scheduler's free capacity: a flooded function cannot starve
/// the others. Every state change is committed to PostgreSQL before the message is acknowledged,
/// nacked for a retry (exponential backoff with jitter) or dead-lettered.
/// </summary>
public sealed partial class AsyncConsumer : BackgroundService
{
    private readonly ReliableQueues queues;
    private readonly Dispatcher dispatcher;
    private readonly ExecutionJournal journal;
    private readonly ExecutionStore executions;
    private readonly TimeProvider timeProvider;
    private readonly AsyncOptions options;
    private readonly ILogger<AsyncConsumer> logger;
    private readonly FunctionLogWriter? logs;
    private readonly string consumer = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, FunctionState> functions = new(StringComparer.Ordinal);
    private readonly Counter<long> completed;
    private readonly Counter<long> retried;
    private readonly Counter<long> leaseLost;
    private readonly Counter<long> skipped;
    private TaskCompletionSource roomFreed = NewSignal();
    private int inFlight;
    private long round;

    public AsyncConsumer(
        ReliableQueues queues, Dispatcher dispatcher, ExecutionJournal journal, ExecutionStore executions, TimeProvider timeProvider,
        IOptions<AsyncOptions> options, IMeterFactory meterFactory, ILogger<AsyncConsumer> logger, FunctionLogWriter? logs = null)
    {
        this.logs = logs;
        this.queues = queues;
        this.dispatcher = dispatcher;
        this.journal = journal;
        this.executions = executions;
        this.timeProvider = timeProvider;
        this.options = options.Value;
        this.logger = logger;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        completed = meter.CreateCounter<long>("faas.async.completed", description: "Asynchronous executions finished, by function and status (Succeeded, DeadLettered)");
        retried = meter.CreateCounter<long>("faas.async.retries", description: "Failed asynchronous attempts scheduled to run again");
        leaseLost = meter.CreateCounter<long>("faas.async.lease_lost", description: "Attempts that finished after their lease expired (the invocation may have run twice)");
        skipped = meter.CreateCounter<long>("faas.async.redeliveries_skipped", description: "Redelivered invocations already finished, acknowledged without running");
        meter.CreateObservableGauge("faas.async.in_flight", () => Volatile.Read(ref inFlight), description: "Asynchronous invocations held by this scheduler");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        IReadOnlyList<ReliableQueue> known = [];
        long? discoveredAt = null;
        var pause = TimeSpan.FromMilliseconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (discoveredAt is not { } at || timeProvider.GetElapsedTime(at) > options.QueueDiscoveryInterval)
                {
                    known = (await queues.ListAsync().ConfigureAwait(false)).Where(q => q.Name.StartsWith(QueueNames.InvocationsPrefix, StringComparison.Ordinal)).ToArray();
                    discoveredAt = timeProvider.GetTimestamp();
                }

                var freed = Volatile.Read(ref roomFreed).Task; // before the round: a slot freed during it is not missed
                var (leased, roomLimited) = await LeaseRoundAsync(known, stoppingToken).ConfigureAwait(false);
                if (leased > 0)
                {
                    pause = TimeSpan.FromMilliseconds(1);
                    continue;
                }

                // Nothing leased: queues empty, or no room. Wait for the poll interval, or for room when room was what lacked.
                var delay = Task.Delay(pause, timeProvider, stoppingToken);
                await (roomLimited ? Task.WhenAny(delay, freed) : delay).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, options.MaxPollInterval.Ticks));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                LogQueueUnavailable(logger, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<(int Leased, bool RoomLimited)> LeaseRoundAsync(IReadOnlyList<ReliableQueue> known, CancellationToken stoppingToken)
    {
        if (known.Count == 0)
        {
            return (0, false);
        }

        var offset = (int)(round++ % known.Count);
        var leases = new List<Task<int>>(known.Count);
        var roomLimited = false;
        for (var i = 0; i < known.Count; i++)
        {
            var queue = known[(offset + i) % known.Count];
            var state = functions.GetOrAdd(queue.Name, static _ => new FunctionState());
            var room = Math.Min(state.Limit - Volatile.Read(ref state.InFlight), options.MaxInFlight - Volatile.Read(ref inFlight));
            if (room <= 0)
            {
                roomLimited = true;
                continue;
            }

            var take = Math.Min(room, options.MaxLeaseBatch);
            Interlocked.Add(ref state.InFlight, take); // reserved now, so later queues of this round see the room taken
            Interlocked.Add(ref inFlight, take);
            leases.Add(LeaseAsync(queue, state, take, stoppingToken));
        }

        var counts = await Task.WhenAll(leases).ConfigureAwait(false);
        return (counts.Sum(), roomLimited);
    }

    private async Task<int> LeaseAsync(ReliableQueue queue, FunctionState state, int take, CancellationToken stoppingToken)
    {
        IReadOnlyList<LeasedMessage> messages = [];
        try
        {
            messages = await queue.LeaseAsync(consumer, take, options.LeaseDuration).ConfigureAwait(false);
        }
        finally
        {
            var unused = take - messages.Count;
            Interlocked.Add(ref state.InFlight, -unused);
            Interlocked.Add(ref inFlight, -unused);
        }

        foreach (var message in messages)
        {
            _ = RunAsync(queue, state, message, stoppingToken);
        }

        return messages.Count;
    }

    private async Task RunAsync(ReliableQueue queue, FunctionState state, LeasedMessage message, CancellationToken stoppingToken)
    {
        try
        {
            using var keeper = new LeaseKeeper(queue, message, options.LeaseDuration, timeProvider);
            await ProcessAsync(queue, state, message, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The lease runs out and the invocation comes back: nothing is lost, it runs again.
            LogProcessingFailed(logger, message.Id, ex.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Decrement(ref state.InFlight);
            Interlocked.Decrement(ref inFlight);
            Interlocked.Exchange(ref roomFreed, NewSignal()).TrySetResult();
        }
    }

    private async Task ProcessAsync(ReliableQueue queue, FunctionState state, LeasedMessage message, CancellationToken stoppingToken)
    {
        if (await ReadInvocationAsync(queue, message).ConfigureAwait(false) is not { } invocation)
        {
            return;
        }

        state.Limit = (int)Math.Max(1, invocation.Function.MaxConcurrency);
        var id = Guid.Parse(invocation.ExecutionId);
        var attempt = (int)invocation.AttemptOffset + message.Attempt;
        if (await FinishedAlreadyAsync(message, id, stoppingToken).ConfigureAwait(false))
        {
            // Finished already (its runner committed the result, then died before acknowledging).
            skipped.Add(1);
            await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
            return;
        }

        if (message.Attempt > invocation.MaxRetries + 1)
        {
            // Every attempt was delivered, and the last ended without a result (its consumer died, stopped or lost the
            // lease mid-run): the budget is spent however the attempts ended, so this delivery does not run.
            await DeadLetterUnfinishedAsync(queue, message, invocation, attempt - 1).ConfigureAwait(false);
            return;
        }

        if (await RunAttemptAsync(queue, message, invocation, attempt, stoppingToken).ConfigureAwait(false) is not { } run)
        {
            return;
        }

        var ended = await EndAttemptAsync(invocation, attempt, run).ConfigureAwait(false);
        if (ended.Succeeded)
        {
            await RecordSuccessAsync(queue, message, invocation, ended, run.Response!.Result).ConfigureAwait(false);
        }
        else if (message.Attempt <= invocation.MaxRetries)
        {
            await RetryLaterAsync(queue, message, invocation, ended, run.SinkLost).ConfigureAwait(false);
        }
        else
        {
            await DeadLetterAsync(queue, message, invocation, attempt, ended).ConfigureAwait(false);
        }
    }

    /// <summary>The invocation the message carries; null (the message acknowledged and dropped) when it cannot be read.</summary>
    private async Task<AsyncInvocation?> ReadInvocationAsync(ReliableQueue queue, LeasedMessage message)
    {
        try
        {
            return AsyncInvocation.Parser.ParseFrom(message.Payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            LogUnreadableMessage(logger, message.Id, queue.Name, ex.Message);
            await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Whether a redelivered invocation already reached a final status (a first delivery is not looked up).</summary>
    private async Task<bool> FinishedAlreadyAsync(LeasedMessage message, Guid id, CancellationToken stoppingToken) =>
        message.Attempt > 1
        && (await executions.GetStatusesAsync([id], stoppingToken).ConfigureAwait(false)).TryGetValue(id, out var current)
        && Execution.IsTerminal(current);

    /// <summary>
    /// Runs one attempt through the dispatcher, recording it as running once it starts. Null when the message was handed
    /// back instead (no room, no sink, or shutting down mid-run); else how the attempt ended.
    /// </summary>
    private async Task<AttemptRun?> RunAttemptAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, int attempt, CancellationToken stoppingToken)
    {
        var run = new AttemptRun(DateTimeOffset.FromUnixTimeMilliseconds(invocation.CreatedAtMs));
        using var activity = StartAttemptActivity(invocation, attempt);
        try
        {
            run.Response = await dispatcher.DispatchAsync(
                invocation.ExecutionId, invocation.Function, invocation.Payload, stoppingToken,
                onStarted: worker => MarkStarted(run, invocation, attempt, worker)).ConfigureAwait(false);
        }
        catch (QueueFullException)
        {
            // Synchronous callers fill the function's queue: this invocation did not start, so it keeps its attempt.
            await queue.ReleaseAsync(message.Id, message.LeaseToken, TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            return null;
        }
        catch (NoWorkerAvailableException)
        {
            await queue.ReleaseAsync(message.Id, message.LeaseToken, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return null;
        }
        catch (WorkerFailedException ex)
        {
            run.Failure = ex.Message;
            run.SinkLost = ex.SinkLost;
        }
        catch (Exception ex) when (stoppingToken.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Shutting down mid-run: hand it back; whether it ran is unknown, so it counts as an attempt.
            await (run.Running?.SettleAsync() ?? Task.CompletedTask).ConfigureAwait(false);
            await queue.NackAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            // Any other way the attempt ended counts too, or an invocation that fails so on every delivery would come back
            // forever: no sink can run the function, no container runtime for a JOB function, a worker that answered
            // with an error status (a module it cannot load, a deadline that passed).
            run.Failure = ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message;
        }

        return run;
    }

    /// <summary>
    /// The span of one attempt, in the enqueue's trace (its traceparent; for an invocation queued without one, its trace
    /// id), so the run records the trace id the enqueue answered with and every attempt shows under that trace.
    /// </summary>
    private static Activity? StartAttemptActivity(AsyncInvocation invocation, int attempt)
    {
        var parent = TraceContext.ParentOf(invocation.Traceparent);
        var activity = SchedulerTelemetry.ActivitySource.StartActivity(
            "faas.async.attempt", ActivityKind.Consumer, parent != default ? parent : TraceContext.OfTraceId(invocation.TraceId));
        activity?.SetTag("faas.execution_id", invocation.ExecutionId);
        activity?.SetTag("faas.attempt", attempt);
        return activity;
    }

    /// <summary>The attempt started on <paramref name="worker"/>: it is recorded as running (after a short delay, see <see cref="RunningRecord"/>).</summary>
    private void MarkStarted(AttemptRun run, AsyncInvocation invocation, int attempt, string worker)
    {
        run.StartedAt = timeProvider.GetUtcNow();
        run.Worker = worker;
        var transition = Base(invocation, ExecutionStatus.Running) with
        {
            Attempts = attempt,
            Attempt = new ExecutionAttempt(attempt, run.StartedAt, null, worker, "", "", 0, 0),
            Worker = worker,
            QueueMicros = Micros(run.StartedAt - run.CreatedAt),
        };
        run.Running = new RunningRecord(() => journal.PostAsync(transition, CancellationToken.None), options.RunningRecordDelay, timeProvider);
    }

    /// <summary>Settles the running record and describes how the attempt ended, as the execution's next transition.</summary>
    private async Task<EndedAttempt> EndAttemptAsync(AsyncInvocation invocation, int attempt, AttemptRun run)
    {
        var spec = invocation.Function;
        if (run.StartedAt == default)
        {
            run.StartedAt = timeProvider.GetUtcNow();
        }

        await (run.Running?.SettleAsync() ?? Task.CompletedTask).ConfigureAwait(false); // at once unless the journal's backlog is full
        var finishedAt = timeProvider.GetUtcNow();
        var result = run.Response?.Result;
        var outcome = result is null ? "WORKER_FAILED" : result.Outcome.Name();
        var succeeded = result?.Succeeded() == true;
        var error = result is null ? run.Failure : result.DescribeFailure(spec.TimeoutMs, spec.MemoryMb);
        // Every attempt's lines, a failed one's too; its stdout goes with them (an asynchronous run answers no caller).
        logs?.Record(Guid.Parse(spec.TenantId), spec.Name, (int)spec.Version, Guid.Parse(invocation.ExecutionId), result, finishedAt, withStdout: logs.LogsAsyncStdout);
        var attemptRecord = new ExecutionAttempt(attempt, run.StartedAt, finishedAt, result?.Worker ?? run.Worker, outcome, succeeded ? "" : error, result?.ExitCode ?? 0, (long)(result?.RunMicros ?? 0));
        var finished = Base(invocation, ExecutionStatus.Succeeded) with
        {
            Attempts = attempt,
            Attempt = attemptRecord,
            Worker = attemptRecord.Worker,
            QueueMicros = Micros(run.StartedAt - run.CreatedAt),
            RunMicros = (long)(result?.RunMicros ?? 0),
            ExitCode = result?.ExitCode ?? 0,
            Error = succeeded ? "" : error,
            StderrTail = result?.StderrTail ?? "",
        };
        return new EndedAttempt(finished, finishedAt, succeeded, error);
    }

    /// <summary>Commits the result and its output, then finishes the message.</summary>
    private async Task RecordSuccessAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, EndedAttempt ended, ExecuteResponse result)
    {
        var output = result.Output.ToByteArray();
        await journal.WriteAsync(ended.Finished with { FinishedAt = ended.FinishedAt, Output = output, OutputBytes = output.Length }, CancellationToken.None).ConfigureAwait(false);
        await FinishAsync(queue, message, invocation, ExecutionStatus.Succeeded).ConfigureAwait(false);
    }

    /// <summary>Queues the execution again and hands the message back to come again after the backoff (at once after a lost sink).</summary>
    private async Task RetryLaterAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, EndedAttempt ended, bool sinkLost)
    {
        // A sink lost mid-run is no fault of the function: it runs again elsewhere at once.
        var delay = sinkLost ? TimeSpan.Zero : Backoff.Delay(message.Attempt, options.RetryBaseDelay, options.MaxRetryDelay);
        await journal.WriteAsync(ended.Finished with { Status = ExecutionStatus.Queued, NextAttemptAt = ended.FinishedAt + delay }, CancellationToken.None).ConfigureAwait(false);
        retried.Add(1, new KeyValuePair<string, object?>("function", invocation.Function.Name));
        if (!await queue.NackAsync(message.Id, message.LeaseToken, delay).ConfigureAwait(false))
        {
            LeaseLost(message, invocation.Function.Name);
        }
    }

    /// <summary>Dead-letters an invocation whose last attempt failed, then finishes the message.</summary>
    private async Task DeadLetterAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, int attempt, EndedAttempt ended)
    {
        await journal.WriteAsync(ended.Finished with { Status = ExecutionStatus.DeadLettered, FinishedAt = ended.FinishedAt, DeadLetterMessage = message.Payload }, CancellationToken.None).ConfigureAwait(false);
        LogDeadLettered(logger, invocation.ExecutionId, invocation.Function.Name, attempt, ended.Error);
        await FinishAsync(queue, message, invocation, ExecutionStatus.DeadLettered).ConfigureAwait(false);
    }

    /// <summary>Dead-letters an invocation whose attempts are used up, closing the last one, which left no result.</summary>
    private async Task DeadLetterUnfinishedAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, int lastAttempt)
    {
        var now = timeProvider.GetUtcNow();
        var error = $"its {invocation.MaxRetries + 1} attempts are used up: attempt {lastAttempt} ended without a result (its scheduler stopped or lost the lease while it ran)";
        await journal.WriteAsync(Base(invocation, ExecutionStatus.DeadLettered) with
        {
            Attempts = lastAttempt,
            Attempt = new ExecutionAttempt(lastAttempt, null, now, "", "NO_RESULT", error, 0, 0),
            FinishedAt = now,
            Error = error,
            DeadLetterMessage = message.Payload,
        }, CancellationToken.None).ConfigureAwait(false);
        LogDeadLettered(logger, invocation.ExecutionId, invocation.Function.Name, lastAttempt, error);
        await FinishAsync(queue, message, invocation, ExecutionStatus.DeadLettered).ConfigureAwait(false);
    }

    /// <summary>Queues the callback (before the ack, so a crash in between delivers it rather than loses it), then acknowledges.</summary>
    private async Task FinishAsync(ReliableQueue queue, LeasedMessage message, AsyncInvocation invocation, ExecutionStatus status)
    {
        if (!string.IsNullOrEmpty(invocation.CallbackUrl))
        {
            var task = new CallbackTask { ExecutionId = invocation.ExecutionId, TenantId = invocation.Function.TenantId, Url = invocation.CallbackUrl };
            await queues.Get(QueueNames.Callbacks).EnqueueAsync(invocation.ExecutionId, task.ToByteArray()).ConfigureAwait(false);
        }

        completed.Add(1, new KeyValuePair<string, object?>("function", invocation.Function.Name), new KeyValuePair<string, object?>("status", status.ToString()));
        if (!await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false))
        {
            LeaseLost(message, invocation.Function.Name);
        }
    }

    private void LeaseLost(LeasedMessage message, string function)
    {
        leaseLost.Add(1, new KeyValuePair<string, object?>("function", function));
        LogLeaseLost(logger, message.Id, function);
    }

    private static AsyncTransition Base(AsyncInvocation invocation, ExecutionStatus status)
    {
        var spec = invocation.Function;
        return new AsyncTransition(
            Guid.Parse(invocation.ExecutionId), Guid.Parse(spec.TenantId), Guid.Parse(spec.FunctionId), spec.Name, (int)spec.Version, status,
            DateTimeOffset.FromUnixTimeMilliseconds(invocation.CreatedAtMs), invocation.Payload.Length, invocation.TraceId, (int)invocation.MaxRetries,
            string.IsNullOrEmpty(invocation.IdempotencyKey) ? null : invocation.IdempotencyKey,
            string.IsNullOrEmpty(invocation.CallbackUrl) ? null : invocation.CallbackUrl);
    }

    private static long Micros(TimeSpan span) => Math.Max(0, span.Ticks / 10);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One attempt as it runs: when and where it started, its running record, and how the dispatch ended.</summary>
    private sealed class AttemptRun(DateTimeOffset createdAt)
    {
        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset StartedAt { get; set; }

        public string Worker { get; set; } = "";

        public RunningRecord? Running { get; set; }

        public DispatchResponse? Response { get; set; }

        public string Failure { get; set; } = "";

        public bool SinkLost { get; set; }
    }

    /// <summary>How an attempt ended: the execution's transition (its status still to be chosen), when, whether it succeeded, and its error.</summary>
    private sealed record EndedAttempt(AsyncTransition Finished, DateTimeOffset FinishedAt, bool Succeeded, string Error);

    /// <summary>What the consumer knows of one function's queue.</summary>
    private sealed class FunctionState
    {
        /// <summary>Leased and not finished.</summary>
        public int InFlight;

        /// <summary>The function's concurrency limit, from its latest message.</summary>
        public volatile int Limit = 64;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Async queues unavailable: {Reason}")]
    private static partial void LogQueueUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Execution {ExecutionId} could not be processed ({Reason}); it comes back when its lease expires")]
    private static partial void LogProcessingFailed(ILogger logger, string executionId, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Message {MessageId} of queue {Queue} is unreadable and was dropped: {Reason}")]
    private static partial void LogUnreadableMessage(ILogger logger, string messageId, string queue, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {Function} dead-lettered after attempt {Attempt}: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string executionId, string function, int attempt, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {Function} finished after its lease expired; another consumer may have run it too")]
    private static partial void LogLeaseLost(ILogger logger, string executionId, string function);
}
