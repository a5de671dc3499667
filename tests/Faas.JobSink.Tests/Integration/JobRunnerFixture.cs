using Faas.AppHost.Jobs;
using Faas.Testing;

namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// The NativeAOT job runner, published once per source change into the repository's <c>.faas/job-runner</c>
/// (the AppHost's place, so a test run and the AppHost share it; a lock keeps concurrent publishes to one).
/// </summary>
public static class JobRunnerFixture
{
    private static readonly Lazy<Task<JobRunnerBuild>> Published = new(PublishAsync);

    public static Task<JobRunnerBuild> GetAsync() => Published.Value;

    private static async Task<JobRunnerBuild> PublishAsync()
    {
        var build = FaasTestingBuilder.JobRunnerBinary;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await JobRunnerPublish.EnsurePublishedAsync(build, timeout.Token);
        return build;
    }
}
