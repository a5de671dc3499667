using Faas.AppHost.Jobs;
using Faas.Testing;

namespace Faas.Jobs.Tests.Integration;

/// <summary>
/// The NativeAOT one-shot runtime, published once per source change into the repository's <c>.faas/oneshot</c>
/// (the AppHost's place, so a test run and the AppHost share it; a lock keeps concurrent publishes to one).
/// </summary>
public static class OneShotRuntimeFixture
{
    private static readonly Lazy<Task<OneShotRuntimeBuild>> Published = new(PublishAsync);

    public static Task<OneShotRuntimeBuild> GetAsync() => Published.Value;

    private static async Task<OneShotRuntimeBuild> PublishAsync()
    {
        var build = FaasTestingBuilder.OneShotRuntime;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await OneShotPublisher.EnsurePublishedAsync(build, timeout.Token);
        return build;
    }
}
