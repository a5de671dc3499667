using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Faas.Storage.Tests.Executions;

namespace Faas.Storage.Tests.Postgres;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExecutionStoreTests(StorageFixture fixture)
{
    private ExecutionStore Store => fixture.Executions;

    [Fact]
    public async Task A_written_batch_reads_back_record_for_record()
    {
        var executions = ExecutionBuilder.ForNewFunction();
        Execution[] batch = [executions.Next(), executions.Next(ExecutionStatus.Failed) with { Error = "trapped", ExitCode = 3 }, executions.Next(ExecutionStatus.Running)];

        await Store.UpsertAsync(batch, CancellationToken.None);

        foreach (var execution in batch)
        {
            Assert.Equal(execution, await Store.GetAsync(executions.TenantId, execution.Id, CancellationToken.None));
        }
    }

    [Fact]
    public async Task An_empty_batch_makes_no_round_trip_to_the_database()
    {
        // A data source whose every connection fails: only a batch that never asks for one can complete.
        await using var unreachable = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=faas;Database=faas;Timeout=1");
        var store = new ExecutionStore(unreachable);

        await store.UpsertAsync([], CancellationToken.None);

        var executions = ExecutionBuilder.ForNewFunction();
        await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(() => store.UpsertAsync([executions.Next()], CancellationToken.None));
    }

    [Fact]
    public async Task An_execution_of_another_tenant_is_not_found()
    {
        var executions = ExecutionBuilder.ForNewFunction();
        var execution = executions.Next();
        await Store.UpsertAsync([execution], CancellationToken.None);

        Assert.Null(await Store.GetAsync(Guid.NewGuid(), execution.Id, CancellationToken.None));
        Assert.Null(await Store.GetAsync(executions.TenantId, Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task A_later_write_updates_an_execution_that_is_still_running()
    {
        var running = ExecutionBuilder.ForNewFunction().Next(ExecutionStatus.Running);
        await Store.UpsertAsync([running], CancellationToken.None);

        var finished = running with { Status = ExecutionStatus.Succeeded, FinishedAt = running.CreatedAt.AddSeconds(1), OutputBytes = 99 };
        await Store.UpsertAsync([finished], CancellationToken.None);

        Assert.Equal(finished, await Store.GetAsync(running.TenantId, running.Id, CancellationToken.None));
    }

    [Theory]
    [InlineData(ExecutionStatus.Succeeded, ExecutionStatus.Running)]
    [InlineData(ExecutionStatus.Failed, ExecutionStatus.Queued)]
    [InlineData(ExecutionStatus.TimedOut, ExecutionStatus.Succeeded)]
    [InlineData(ExecutionStatus.DeadLettered, ExecutionStatus.Running)]
    [InlineData(ExecutionStatus.Rejected, ExecutionStatus.Running)]
    public async Task A_terminal_execution_is_never_overwritten(ExecutionStatus terminal, ExecutionStatus later)
    {
        var finished = ExecutionBuilder.ForNewFunction().Next(terminal);
        await Store.UpsertAsync([finished], CancellationToken.None);

        await Store.UpsertAsync([finished with { Status = later, FinishedAt = null, Worker = "worker-9" }], CancellationToken.None);

        Assert.Equal(finished, await Store.GetAsync(finished.TenantId, finished.Id, CancellationToken.None));
    }

    [Fact]
    public async Task In_one_batch_the_first_terminal_write_wins()
    {
        var running = ExecutionBuilder.ForNewFunction().Next(ExecutionStatus.Running);
        var succeeded = running with { Status = ExecutionStatus.Succeeded, FinishedAt = running.CreatedAt.AddSeconds(1) };

        await Store.UpsertAsync([running, succeeded, running], CancellationToken.None);

        Assert.Equal(succeeded, await Store.GetAsync(running.TenantId, running.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Text_a_function_wrote_is_stored_with_nul_characters_replaced()
    {
        var execution = ExecutionBuilder.ForNewFunction().Next(ExecutionStatus.Failed) with { StderrTail = "before\0after", Error = "bad\0input" };

        await Store.UpsertAsync([execution], CancellationToken.None);

        var stored = await Store.GetAsync(execution.TenantId, execution.Id, CancellationToken.None);
        Assert.Equal(execution with { StderrTail = "before\uFFFDafter", Error = "bad\uFFFDinput" }, stored);
    }

    [Fact]
    public async Task List_is_newest_first_and_filters_by_function_and_status()
    {
        var tenant = Guid.NewGuid();
        var a = ExecutionBuilder.ForNewFunction(tenant);
        var b = ExecutionBuilder.ForNewFunction(tenant);
        Execution[] written =
        [
            a.Next(), b.Next(), a.Next(ExecutionStatus.Failed), a.Next(), b.Next(ExecutionStatus.Failed), a.Next(ExecutionStatus.Running),
        ];
        await Store.UpsertAsync(written, CancellationToken.None);

        var all = await Store.ListAsync(tenant, null, null, 100, null, CancellationToken.None);
        var ofA = await Store.ListAsync(tenant, a.FunctionId, null, 100, null, CancellationToken.None);
        var failed = await Store.ListAsync(tenant, null, ExecutionStatus.Failed, 100, null, CancellationToken.None);
        var failedOfB = await Store.ListAsync(tenant, b.FunctionId, ExecutionStatus.Failed, 100, null, CancellationToken.None);

        Assert.Equal(written.Reverse(), all.Items);
        Assert.Null(all.NextPageToken);
        Assert.Equal(written.Where(e => e.FunctionId == a.FunctionId).Reverse(), ofA.Items);
        Assert.Equal(written.Where(e => e.Status == ExecutionStatus.Failed).Reverse(), failed.Items);
        Assert.Equal([written[4]], failedOfB.Items);
    }

    [Fact]
    public async Task List_pages_join_into_the_whole_list_without_duplicates()
    {
        var executions = ExecutionBuilder.ForNewFunction();
        var written = Enumerable.Range(0, 23).Select(_ => executions.Next()).ToList();
        await Store.UpsertAsync(written, CancellationToken.None);

        var pages = new List<Page<Execution>>();
        string? token = null;
        do
        {
            var page = await Store.ListAsync(executions.TenantId, executions.FunctionId, null, 10, token, CancellationToken.None);
            pages.Add(page);
            token = page.NextPageToken;
        }
        while (token is not null && pages.Count < 10);

        Assert.Equal([10, 10, 3], pages.Select(p => p.Items.Count));
        Assert.Equal(Enumerable.Reverse(written).Select(e => e.Id), pages.SelectMany(p => p.Items).Select(e => e.Id));
    }

    [Theory]
    [InlineData("!!!")]
    [InlineData("bm90LWEtZ3VpZA")] // "not-a-guid"
    public async Task An_invalid_page_token_is_rejected(string token)
    {
        await Assert.ThrowsAsync<InvalidPageTokenException>(() =>
            Store.ListAsync(Guid.NewGuid(), null, null, 10, token, CancellationToken.None));
    }
}
