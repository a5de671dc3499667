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

    [Fact]
    public void The_build_key_follows_the_job_runner_and_the_execution_core_it_is_built_from()
    {
        var repository = Path.Combine(root, "repository");
        var project = Path.Combine(repository, "sinks", "Faas.JobRunner", "Faas.JobRunner.csproj");
        var core = Path.Combine(repository, "lib", "Faas.Wasm", "Execution", "WasmExecutor.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        Directory.CreateDirectory(Path.GetDirectoryName(core)!);
        File.WriteAllText(Path.Combine(repository, "Faas.sln"), "");
        File.WriteAllText(project, "<Project />");
        File.WriteAllText(core, "class A {}");

        var first = JobRunnerBuild.For(project).OutputDirectory;
        var again = JobRunnerBuild.For(project).OutputDirectory;
        File.WriteAllText(core, "class B {}");
        var afterCoreChange = JobRunnerBuild.For(project).OutputDirectory;
        File.WriteAllText(project, "<Project></Project>");
        var afterProjectChange = JobRunnerBuild.For(project).OutputDirectory;

        Assert.Equal(first, again);
        Assert.StartsWith(Path.Combine(repository, ".faas", "job-runner"), first, StringComparison.Ordinal);
        Assert.Equal(3, new[] { first, afterCoreChange, afterProjectChange }.Distinct().Count());
    }
}
