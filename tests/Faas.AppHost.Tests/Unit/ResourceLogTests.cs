using Faas.AppHost.Resources;

namespace Faas.AppHost.Tests.Unit;

public sealed class ResourceLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("faas-log-").FullName;

    [Fact]
    public async Task Written_lines_are_in_the_file_after_a_flush()
    {
        await using var log = new ResourceLog(Path.Combine(_folder, "gateway.log"));
        for (var i = 1; i <= 100; i++)
        {
            log.Write($"line {i}");
        }

        await log.FlushAsync();

        Assert.Equal(["line 98", "line 99", "line 100"], log.ReadTail(3));
    }

    [Fact]
    public async Task Rotating_keeps_the_previous_run_and_starts_empty()
    {
        var path = Path.Combine(_folder, "scheduler.log");
        await File.WriteAllTextAsync(path, "old run\n");

        ResourceLog.Rotate(path);

        Assert.Empty(ResourceLog.ReadTail(path, 10));
        Assert.Equal("old run\n", await File.ReadAllTextAsync(Path.Combine(_folder, "scheduler.previous.log")));
    }

    [Fact]
    public async Task Lines_appended_by_another_writer_are_kept()
    {
        var path = Path.Combine(_folder, "postgres.log");
        await using var log = new ResourceLog(path);
        log.Write("from the apphost");
        await log.FlushAsync();

        await File.AppendAllTextAsync(path, "from the server\n");
        log.Write("from the apphost again");
        await log.FlushAsync();

        Assert.Equal(["from the apphost", "from the server", "from the apphost again"], log.ReadTail(10));
    }

    [Fact]
    public void A_missing_log_has_no_lines() => Assert.Empty(ResourceLog.ReadTail(Path.Combine(_folder, "none.log"), 5));

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
