using Faas.AppHost.Jobs;

namespace Faas.AppHost.Tests.Unit;

public sealed class JobRunnerPublishTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("faas-job-runner-cache-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Build(string name, int daysAgo)
    {
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "faas-job-runner"), "");
        Directory.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-daysAgo));
        return path;
    }

    [Fact]
    public void Publishing_a_build_removes_all_but_the_most_recent_older_builds()
    {
        var current = Build("current", 0);
        Build("one-day", 1);
        Build("two-days", 2);
        Build("three-days", 3);
        Build("four-days", 4);
        Build("staging.123.tmp", 5);

        JobRunnerPublish.PruneOlderBuilds(root, current);

        Assert.Equal(
            ["current", "one-day", "staging.123.tmp", "two-days"],
            Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
