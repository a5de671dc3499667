using Faas.Storage.Executions;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Faas.Storage.Tests.Postgres;

/// <summary>Transitions of asynchronous executions against real PostgreSQL: idempotent, ordered, never resurrecting.</summary>
[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AsyncExecutionStoreTests(StorageFixture fixture)
{
    private readonly AsyncExecutionStore store = new(fixture.DataSource);
    private readonly Guid tenant = Guid.NewGuid();
    private readonly Guid function = Guid.NewGuid();
    private readonly string name = StorageFixture.UniqueName("fn");

    [Fact]
    public async Task A_queued_execution_is_readable_with_its_async_fields()
    {
        var queued = Queued(idempotencyKey: "key-1", callbackUrl: "http://127.0.0.1:9/hook");
        await store.ApplyAsync([queued], CancellationToken.None);

        var read = await fixture.Executions.GetAsync(tenant, queued.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(ExecutionStatus.Queued, read.Status);
        Assert.Equal(ExecutionKind.Async, read.Kind);
        Assert.Equal("key-1", read.IdempotencyKey);
        Assert.Equal(3, read.MaxRetries);
        Assert.Equal(0, read.Attempts);
        Assert.Empty(read.AttemptLog);
        Assert.Equal(new CallbackDelivery("http://127.0.0.1:9/hook", CallbackState.Pending, 0, "", 0, null), read.Callback);
        Assert.False(read.HasOutput);
    }

    [Fact]
    public async Task Running_then_succeeded_records_one_attempt_with_both_halves_and_the_output()
    {
        var queued = Queued();
        var started = DateTimeOffset.UtcNow;
        await store.ApplyAsync([queued, Running(queued, 1, started)], CancellationToken.None);
        Assert.Equal(ExecutionStatus.Running, (await GetAsync(queued.Id)).Status);

        await store.ApplyAsync([Succeeded(queued, 1, started, [1, 2, 3])], CancellationToken.None);

        var read = await GetAsync(queued.Id);
        Assert.Equal(ExecutionStatus.Succeeded, read.Status);
        var attempt = Assert.Single(read.AttemptLog);
        Assert.Equal((1, "worker-0", "OK"), (attempt.Number, attempt.Worker, attempt.Outcome));
        Assert.NotNull(attempt.StartedAt);
        Assert.NotNull(attempt.FinishedAt);
        Assert.Equal([1, 2, 3], await fixture.Executions.GetOutputAsync(tenant, queued.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Replayed_transitions_change_nothing_twice()
    {
        var queued = Queued();
        var started = DateTimeOffset.UtcNow;
        var transitions = new[] { queued, Running(queued, 1, started), Failed(queued, 1, started, ExecutionStatus.Queued), Running(queued, 2, started), Succeeded(queued, 2, started, [9]) };
        await store.ApplyAsync(transitions, CancellationToken.None);
        var once = await GetAsync(queued.Id);

        await store.ApplyAsync(transitions, CancellationToken.None); // a retried batch
        foreach (var t in transitions)
        {
            await store.ApplyAsync([t], CancellationToken.None); // a redelivered message, one write at a time
        }

        var twice = await GetAsync(queued.Id);
        Assert.Equal(ExecutionStatus.Succeeded, twice.Status);
        Assert.Equal(2, twice.Attempts);
        Assert.Equal(once.AttemptLog, twice.AttemptLog);
        Assert.Equal([1, 2], twice.AttemptLog.Select(a => a.Number));
        Assert.Equal(["EXITED_NON_ZERO", "OK"], twice.AttemptLog.Select(a => a.Outcome));
    }

    [Fact]
    public async Task A_finished_execution_is_never_moved_by_a_late_transition()
    {
        var queued = Queued();
        var started = DateTimeOffset.UtcNow;
        await store.ApplyAsync([Running(queued, 1, started), Succeeded(queued, 1, started, [7])], CancellationToken.None);

        // A consumer that lost its lease reports a later attempt, and the gateway's late "queued" lands.
        await store.ApplyAsync([Running(queued, 2, started), Failed(queued, 2, started, ExecutionStatus.DeadLettered), queued], CancellationToken.None);

        var read = await GetAsync(queued.Id);
        Assert.Equal(ExecutionStatus.Succeeded, read.Status);
        Assert.Equal([7], await fixture.Executions.GetOutputAsync(tenant, queued.Id, CancellationToken.None));
        Assert.Equal(["OK", "EXITED_NON_ZERO"], read.AttemptLog.Select(a => a.Outcome)); // the late attempt is still on record
    }

    [Fact]
    public async Task A_late_running_write_does_not_undo_the_finish_of_its_attempt()
    {
        var queued = Queued();
        var started = DateTimeOffset.UtcNow;
        await store.ApplyAsync([Failed(queued, 1, started, ExecutionStatus.Queued)], CancellationToken.None);
        await store.ApplyAsync([Running(queued, 1, started)], CancellationToken.None);

        var read = await GetAsync(queued.Id);
        Assert.Equal(ExecutionStatus.Queued, read.Status);
        Assert.Equal("EXITED_NON_ZERO", Assert.Single(read.AttemptLog).Outcome);
        Assert.NotNull(read.NextAttemptAt);
    }

    [Fact]
    public async Task The_first_write_to_arrive_creates_the_record_even_when_it_is_not_queued()
    {
        var queued = Queued();
        await store.ApplyAsync([Running(queued, 1, DateTimeOffset.UtcNow)], CancellationToken.None);
        await store.ApplyAsync([queued], CancellationToken.None);

        var read = await GetAsync(queued.Id);
        Assert.Equal(ExecutionStatus.Running, read.Status);
        Assert.Equal(name, read.FunctionName);
    }

    [Fact]
    public async Task Dead_letters_are_listed_and_a_redrive_requeues_them_with_the_attempts_so_far()
    {
        var started = DateTimeOffset.UtcNow;
        var first = Queued();
        var second = Queued();
        var succeeded = Queued();
        await store.ApplyAsync(
        [
            Failed(first, 1, started, ExecutionStatus.DeadLettered) with { DeadLetterMessage = [1] },
            Running(second, 1, started), Failed(second, 1, started, ExecutionStatus.Queued), Failed(second, 2, started, ExecutionStatus.DeadLettered) with { DeadLetterMessage = [2] },
            Succeeded(succeeded, 1, started, []) with { DeadLetterMessage = [3] }, // not dead: no letter
        ], CancellationToken.None);

        var page = await store.ListDeadLettersAsync(tenant, function, 10, null, CancellationToken.None);
        Assert.Equal(new[] { first.Id, second.Id }.OrderDescending(), page.Items.Select(e => e.Id)); // newest (highest UUIDv7) first
        Assert.Equal(2, await store.CountDeadLettersAsync(tenant, function, CancellationToken.None));

        var letters = await store.BeginRedriveAsync(tenant, function, [second.Id], 100, CancellationToken.None);
        var letter = Assert.Single(letters);
        Assert.Equal((second.Id, 2), (letter.ExecutionId, letter.Attempts));
        Assert.Equal([2], letter.Message);
        var redriven = await GetAsync(second.Id);
        Assert.Equal((ExecutionStatus.Queued, 1), (redriven.Status, redriven.Redrives));

        // An interrupted redrive is picked up again by the next one; a completed one is gone.
        Assert.Equal([second.Id], (await store.BeginRedriveAsync(tenant, function, null, 100, CancellationToken.None)).Select(l => l.ExecutionId).Where(id => id == second.Id));
        await store.CompleteRedriveAsync([second.Id, first.Id], CancellationToken.None);
        Assert.Equal(0, await store.CountDeadLettersAsync(tenant, function, CancellationToken.None));

        // The redriven execution runs on, numbering its attempts after the earlier ones.
        await store.ApplyAsync([Running(second, 3, started), Succeeded(second, 3, started, [5])], CancellationToken.None);
        Assert.Equal(ExecutionStatus.Succeeded, (await GetAsync(second.Id)).Status);
        Assert.Equal([1, 2, 3], (await GetAsync(second.Id)).AttemptLog.Select(a => a.Number));
    }

    [Fact]
    public async Task The_journal_commits_every_concurrent_write()
    {
        await using var host = fixture.BuildHost(b => b.AddFaasDatabase().AddExecutionJournal());
        await host.StartAsync();
        var journal = host.Services.GetRequiredService<ExecutionJournal>();
        var executions = Enumerable.Range(0, 500).Select(_ => Queued()).ToArray();
        var started = DateTimeOffset.UtcNow;

        await Task.WhenAll(executions.Select(async e =>
        {
            await journal.WriteAsync(e);
            await journal.WriteAsync(Running(e, 1, started));
            await journal.WriteAsync(Succeeded(e, 1, started, [42]));
        }));

        var count = await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM executions WHERE id = ANY($1) AND status = 'Succeeded' AND attempts = 1", executions.Select(e => e.Id).ToArray());
        Assert.Equal(executions.Length, count);
    }

    [Fact]
    public async Task Callback_updates_only_move_forward()
    {
        var queued = Queued(callbackUrl: "http://127.0.0.1:9/hook");
        await store.ApplyAsync([queued], CancellationToken.None);

        await fixture.Executions.UpdateCallbackAsync(queued.Id, CallbackState.Pending, 2, "HTTP 500", 500, null, CancellationToken.None);
        await fixture.Executions.UpdateCallbackAsync(queued.Id, CallbackState.Pending, 1, "stale", 502, null, CancellationToken.None);
        Assert.Equal((CallbackState.Pending, 2, "HTTP 500"), Summary((await GetAsync(queued.Id)).Callback!));

        var delivered = DateTimeOffset.UtcNow;
        await fixture.Executions.UpdateCallbackAsync(queued.Id, CallbackState.Delivered, 3, "", 200, delivered, CancellationToken.None);
        await fixture.Executions.UpdateCallbackAsync(queued.Id, CallbackState.Failed, 4, "late", 0, null, CancellationToken.None);
        Assert.Equal((CallbackState.Delivered, 3, ""), Summary((await GetAsync(queued.Id)).Callback!));
    }

    private static (CallbackState, int, string) Summary(CallbackDelivery callback) => (callback.State, callback.Attempts, callback.LastError);

    private async Task<Execution> GetAsync(Guid id) =>
        await fixture.Executions.GetAsync(tenant, id, CancellationToken.None) ?? throw new InvalidOperationException($"{id} not found");

    private AsyncTransition Queued(string? idempotencyKey = null, string? callbackUrl = null) =>
        new(Guid.CreateVersion7(), tenant, function, name, 1, ExecutionStatus.Queued, DateTimeOffset.UtcNow, 5, "trace", 3, idempotencyKey, callbackUrl);

    private static AsyncTransition Running(AsyncTransition queued, int attempt, DateTimeOffset started) => queued with
    {
        Status = ExecutionStatus.Running,
        Attempts = attempt,
        Attempt = new ExecutionAttempt(attempt, started, null, "worker-0", "", "", 0, 0),
        Worker = "worker-0",
    };

    private static AsyncTransition Succeeded(AsyncTransition queued, int attempt, DateTimeOffset started, byte[] output) => queued with
    {
        Status = ExecutionStatus.Succeeded,
        Attempts = attempt,
        Attempt = new ExecutionAttempt(attempt, started, started.AddMilliseconds(3), "worker-0", "OK", "", 0, 3000),
        FinishedAt = started.AddMilliseconds(3),
        Output = output,
        OutputBytes = output.Length,
        Worker = "worker-0",
    };

    private static AsyncTransition Failed(AsyncTransition queued, int attempt, DateTimeOffset started, ExecutionStatus status) => queued with
    {
        Status = status,
        Attempts = attempt,
        Attempt = new ExecutionAttempt(attempt, started, started.AddMilliseconds(3), "worker-0", "EXITED_NON_ZERO", "exited with code 3", 3, 3000),
        FinishedAt = status == ExecutionStatus.Queued ? null : started.AddMilliseconds(3),
        NextAttemptAt = status == ExecutionStatus.Queued ? started.AddSeconds(1) : null,
        ExitCode = 3,
        Error = "exited with code 3",
    };
}
