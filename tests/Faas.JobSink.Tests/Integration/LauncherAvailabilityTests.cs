using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Oci;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Faas.JobSink.Tests.Integration;

/// <summary>Where no container runtime is available the launcher says so, and refuses to run rather than run without isolation.</summary>
[Trait("Category", "Integration")]
public sealed class LauncherAvailabilityTests
{
    [Fact]
    public async Task Without_runc_the_launcher_is_unavailable_and_names_what_is_missing()
    {
        var build = await JobRunnerFixture.GetAsync();
        using var launcher = Launcher(new JobOptions { RuncPath = "/nonexistent/runc", RunnerDirectory = build.OutputDirectory });

        var status = await launcher.GetStatusAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<JobLauncherUnavailableException>(() => launcher.RunAsync(Invocation(), null, CancellationToken.None));

        Assert.False(status.Available);
        Assert.Contains("runc is not installed", status.Description);
        Assert.Contains("runc is not installed", error.Message);
    }

    [Fact]
    public async Task Without_the_one_shot_runtime_the_launcher_is_unavailable_and_says_how_to_publish_it()
    {
        using var launcher = Launcher(new JobOptions { RunnerDirectory = "/nonexistent/job-runner" });

        var status = await launcher.GetStatusAsync(CancellationToken.None);

        Assert.False(status.Available);
        Assert.Contains("not published at /nonexistent/job-runner", status.Description);
    }

    [Fact]
    public async Task With_runc_and_the_runtime_the_launcher_is_available()
    {
        var build = await JobRunnerFixture.GetAsync();
        using var launcher = Launcher(new JobOptions { RunnerDirectory = build.OutputDirectory });

        var status = await launcher.GetStatusAsync(CancellationToken.None);

        Assert.True(status.Available, status.Description);
    }

    private static OciJobLauncher Launcher(JobOptions options)
    {
        var wrapped = Options.Create(options);
        var runtime = new JobRunnerBinary(wrapped);
        // The artifact store is never reached: nothing runs.
        var modules = new JobModules(new ArtifactStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1")), wrapped, NullLogger<JobModules>.Instance);
        return new OciJobLauncher(runtime, new OciRuntimeImage(runtime, wrapped), new Runc(wrapped), modules, wrapped, NullLogger<OciJobLauncher>.Instance);
    }

    private static JobInvocation Invocation() => new()
    {
        ExecutionId = "e-1",
        FunctionName = "echo",
        ModuleSha256 = new string('a', 64),
        TimeoutMs = 1000,
        MemoryMb = 16,
    };
}
