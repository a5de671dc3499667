using Faas.Storage.Executions;
using Faas.Storage.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Faas.Storage.Tests.Executions;

/// <summary>The recorder as a service runs it: a hosted BackgroundService writing to the real database.</summary>
[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExecutionRecorderTests(StorageFixture fixture)
{
    [Fact]
    public async Task A_recorded_execution_becomes_readable_from_the_database()
    {
        await using var host = await StartRecorderAsync();
        var execution = ExecutionBuilder.ForNewFunction().Next();

        await Recorder(host).RecordAsync(execution);

        var stored = await Eventually.MatchesAsync(
            () => fixture.Executions.GetAsync(execution.TenantId, execution.Id, CancellationToken.None),
            e => e is not null,
            "the execution in the database");
        Assert.Equal(execution, stored);
    }

    [Fact]
    public async Task A_record_is_pending_until_written_and_then_read_from_the_database()
    {
        await using var host = BuildRecorderHost();
        var recorder = Recorder(host);
        var execution = ExecutionBuilder.ForNewFunction().Next();

        // Recorded before the writer runs, so it cannot have been written yet.
        await recorder.RecordAsync(execution);
        Assert.True(recorder.TryGetPending(execution.Id, out var pending));
        Assert.Equal(execution, pending);
        Assert.Null(await fixture.Executions.GetAsync(execution.TenantId, execution.Id, CancellationToken.None));

        await host.StartAsync();

        await Eventually.HoldsAsync(() => !recorder.TryGetPending(execution.Id, out _), "the record to leave the pending set");
        Assert.Equal(execution, await fixture.Executions.GetAsync(execution.TenantId, execution.Id, CancellationToken.None));
    }

    [Fact]
    public async Task The_last_status_recorded_for_an_execution_is_the_one_stored()
    {
        await using var host = await StartRecorderAsync();
        var recorder = Recorder(host);
        var running = ExecutionBuilder.ForNewFunction().Next(ExecutionStatus.Running);
        var succeeded = running with { Status = ExecutionStatus.Succeeded, FinishedAt = running.CreatedAt.AddSeconds(1) };

        await recorder.RecordAsync(running);
        await recorder.RecordAsync(succeeded);

        await Eventually.HoldsAsync(() => !recorder.TryGetPending(running.Id, out _), "the execution to be written");
        Assert.Equal(succeeded, await fixture.Executions.GetAsync(running.TenantId, running.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Many_records_recorded_concurrently_all_land_exactly_once()
    {
        const int count = 5_000;
        await using var host = await StartRecorderAsync();
        var recorder = Recorder(host);
        var executions = ExecutionBuilder.ForNewFunction();
        var records = Enumerable.Range(0, count).Select(_ => executions.Next()).ToArray();

        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (e, ct) => recorder.RecordAsync(e, ct));

        await Eventually.MatchesAsync(
            () => fixture.ScalarAsync<long>("SELECT count(*) FROM executions WHERE function_id = $1", executions.FunctionId),
            written => written >= count,
            $"{count} executions in the database",
            within: TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => records.All(e => !recorder.TryGetPending(e.Id, out _)), "no record left pending");
        Assert.Equal(count, await fixture.ScalarAsync<long>("SELECT count(*) FROM executions WHERE function_id = $1", executions.FunctionId));
        Assert.Equal(count, await fixture.ScalarAsync<long>("SELECT count(DISTINCT id) FROM executions WHERE function_id = $1", executions.FunctionId));
    }

    [Fact]
    public async Task Records_handed_over_before_stopping_are_written_by_the_time_the_host_has_stopped()
    {
        await using var host = await StartRecorderAsync();
        var recorder = Recorder(host);
        var executions = ExecutionBuilder.ForNewFunction();
        var records = Enumerable.Range(0, 200).Select(_ => executions.Next()).ToArray();

        foreach (var record in records)
        {
            await recorder.RecordAsync(record);
        }

        await host.StopAsync();

        Assert.Equal(records.Length, await fixture.ScalarAsync<long>("SELECT count(*) FROM executions WHERE function_id = $1", executions.FunctionId));
    }

    [Fact]
    public async Task Records_are_written_at_stop_even_when_the_writing_loop_never_ran()
    {
        await using var host = BuildRecorderHost();
        var recorder = Recorder(host);
        var executions = ExecutionBuilder.ForNewFunction();
        var records = Enumerable.Range(0, 3).Select(_ => executions.Next()).ToArray();
        foreach (var record in records)
        {
            await recorder.RecordAsync(record);
        }

        // Stopped without ever being started: the host may stop before the loop is scheduled.
        await recorder.StopAsync(CancellationToken.None);

        Assert.Equal(records.Length, await fixture.ScalarAsync<long>("SELECT count(*) FROM executions WHERE function_id = $1", executions.FunctionId));
        Assert.False(recorder.TryGetPending(records[0].Id, out _));
    }

    [Fact]
    public async Task A_record_with_text_the_database_rejects_as_is_does_not_hold_up_the_others()
    {
        await using var host = await StartRecorderAsync();
        var recorder = Recorder(host);
        var executions = ExecutionBuilder.ForNewFunction();
        var withNul = executions.Next(ExecutionStatus.Failed) with { StderrTail = "binary \0 output" };
        var plain = executions.Next();

        await recorder.RecordAsync(withNul);
        await recorder.RecordAsync(plain);

        await Eventually.HoldsAsync(
            () => !recorder.TryGetPending(withNul.Id, out _) && !recorder.TryGetPending(plain.Id, out _), "both records to be written");
        Assert.NotNull(await fixture.Executions.GetAsync(plain.TenantId, plain.Id, CancellationToken.None));
        Assert.NotNull(await fixture.Executions.GetAsync(withNul.TenantId, withNul.Id, CancellationToken.None));
    }

    private ServiceHost BuildRecorderHost() => fixture.BuildHost(b => b.AddFaasDatabase().AddExecutionRecorder());

    private async Task<ServiceHost> StartRecorderAsync()
    {
        var host = BuildRecorderHost();
        await host.StartAsync();
        return host;
    }

    private static ExecutionRecorder Recorder(ServiceHost host) => host.Services.GetRequiredService<ExecutionRecorder>();
}
