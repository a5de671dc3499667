using Faas.Storage.Logs;
using Npgsql;

namespace Faas.Storage.Tests.Logs;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FunctionLogStoreTests(StorageFixture fixture)
{
    private FunctionLogStore Store => new(fixture.DataSource);

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static ExecutionLog Log(Guid tenant, string function, Guid execution, params string[] lines) =>
        new(tenant, function, 3, execution, [.. lines.Select((l, i) => new LogLineRecord(Now.AddMilliseconds(i), LogStream.Stderr, l))]);

    [Fact]
    public async Task Lines_read_back_in_order_with_their_execution_version_time_and_stream()
    {
        var tenant = Guid.NewGuid();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await Store.InsertAsync(
        [
            Log(tenant, "logs-a", first, "one", "two"),
            new ExecutionLog(tenant, "logs-a", 4, second, [new LogLineRecord(Now, LogStream.Stdout, "out"), new LogLineRecord(Now, LogStream.Platform, "note")]),
        ], CancellationToken.None);

        var lines = await Store.ReadAsync(new LogQuery(tenant, "logs-a"), 0, 100, CancellationToken.None);

        Assert.Equal(["one", "two", "out", "note"], lines.Select(l => l.Text));
        Assert.Equal([first, first, second, second], lines.Select(l => l.ExecutionId));
        Assert.Equal([3, 3, 4, 4], lines.Select(l => l.Version));
        Assert.Equal([LogStream.Stderr, LogStream.Stderr, LogStream.Stdout, LogStream.Platform], lines.Select(l => l.Stream));
        Assert.Equal(Now.AddMilliseconds(1), lines[1].Time);
        Assert.True(lines.Zip(lines.Skip(1)).All(p => p.First.Id < p.Second.Id));
    }

    [Fact]
    public async Task Reads_keep_to_their_tenant_function_execution_and_time()
    {
        var (tenant, other) = (Guid.NewGuid(), Guid.NewGuid());
        var (mine, theirs, another) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await Store.InsertAsync(
        [
            Log(tenant, "logs-b", mine, "mine"),
            Log(other, "logs-b", theirs, "theirs"),
            Log(tenant, "logs-c", another, "other function"),
            new ExecutionLog(tenant, "logs-b", 3, mine, [new LogLineRecord(Now.AddHours(-2), LogStream.Stderr, "old")]),
        ], CancellationToken.None);

        Assert.Equal(["mine", "old"], (await Store.ReadAsync(new LogQuery(tenant, "logs-b"), 0, 100, CancellationToken.None)).Select(l => l.Text));
        Assert.Equal(["theirs"], (await Store.ReadAsync(new LogQuery(other, "logs-b"), 0, 100, CancellationToken.None)).Select(l => l.Text));
        Assert.Empty(await Store.ReadAsync(new LogQuery(other, "logs-b", mine), 0, 100, CancellationToken.None));
        Assert.Equal(["mine"], (await Store.ReadAsync(new LogQuery(tenant, "logs-b", Since: Now.AddMinutes(-1)), 0, 100, CancellationToken.None)).Select(l => l.Text));
    }

    [Fact]
    public async Task Tail_starts_before_the_last_lines_and_reads_page_by_page()
    {
        var tenant = Guid.NewGuid();
        await Store.InsertAsync([Log(tenant, "logs-d", Guid.NewGuid(), [.. Enumerable.Range(1, 10).Select(i => $"line {i}")])], CancellationToken.None);
        var query = new LogQuery(tenant, "logs-d");

        var start = await Store.TailStartAsync(query, 3, CancellationToken.None);
        Assert.Equal(["line 8", "line 9", "line 10"], (await Store.ReadAsync(query, start, 100, CancellationToken.None)).Select(l => l.Text));
        Assert.Equal(0, await Store.TailStartAsync(query, 10, CancellationToken.None));
        var newest = await Store.TailStartAsync(query, 0, CancellationToken.None);
        Assert.Empty(await Store.ReadAsync(query, newest, 100, CancellationToken.None));

        var page = await Store.ReadAsync(query, 0, 4, CancellationToken.None);
        Assert.Equal(["line 5", "line 6"], (await Store.ReadAsync(query, page[^1].Id, 2, CancellationToken.None)).Select(l => l.Text));
    }

    [Fact]
    public async Task A_NUL_in_a_line_is_stored_as_a_replacement_character()
    {
        var tenant = Guid.NewGuid();
        await Store.InsertAsync([Log(tenant, "logs-e", Guid.NewGuid(), "a\0b")], CancellationToken.None);

        Assert.Equal("a\uFFFDb", Assert.Single(await Store.ReadAsync(new LogQuery(tenant, "logs-e"), 0, 10, CancellationToken.None)).Text);
    }

    [Fact]
    public async Task A_sweep_deletes_lines_past_the_retention_and_each_tenants_oldest_past_its_cap()
    {
        var (busy, quiet) = (Guid.NewGuid(), Guid.NewGuid());
        await Store.InsertAsync(
        [
            new ExecutionLog(busy, "logs-f", 1, Guid.NewGuid(), [new LogLineRecord(Now.AddDays(-8), LogStream.Stderr, "expired")]),
            Log(busy, "logs-f", Guid.NewGuid(), [.. Enumerable.Range(1, 6).Select(i => $"busy {i}")]),
            Log(quiet, "logs-f", Guid.NewGuid(), "quiet 1", "quiet 2"),
        ], CancellationToken.None);

        // The cap is far above what other tests of the collection keep per tenant: only this test's busy tenant is over it.
        var deleted = await Store.SweepAsync(Now.AddDays(-7), 5, CancellationToken.None);

        Assert.True(deleted >= 2, $"deleted {deleted}");
        Assert.Equal(["busy 2", "busy 3", "busy 4", "busy 5", "busy 6"], (await Store.ReadAsync(new LogQuery(busy, "logs-f"), 0, 100, CancellationToken.None)).Select(l => l.Text));
        Assert.Equal(["quiet 1", "quiet 2"], (await Store.ReadAsync(new LogQuery(quiet, "logs-f"), 0, 100, CancellationToken.None)).Select(l => l.Text));
        Assert.Equal(5, await Store.CountAsync(busy, CancellationToken.None));
    }

    [Fact]
    public async Task A_commit_announces_each_tenant_that_got_lines_to_listeners()
    {
        var (tenant, other) = (Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        var heard = new List<string>();
        connection.Notification += (_, e) => heard.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {FunctionLogStore.Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await Store.InsertAsync([Log(tenant, "logs-g", Guid.NewGuid(), "a", "b"), Log(other, "logs-g", Guid.NewGuid(), "c")], CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!(heard.Contains(tenant.ToString()) && heard.Contains(other.ToString())))
        {
            await connection.WaitAsync(timeout.Token);
        }

        Assert.Single(heard, tenant.ToString());
    }
}
