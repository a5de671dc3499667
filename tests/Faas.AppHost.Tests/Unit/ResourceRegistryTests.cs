using Faas.AppHost.Resources;

namespace Faas.AppHost.Tests.Unit;

public sealed class ResourceRegistryTests
{
    [Fact]
    public async Task Waiting_completes_when_a_later_update_satisfies_the_condition()
    {
        var registry = new ResourceRegistry();
        registry.Add(Snapshot("worker"));

        var waiting = registry.WaitForAsync("worker", s => s.IsHealthy, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        registry.Update("worker", s => s with { State = ResourceState.Running, Health = HealthStatus.Healthy });

        var healthy = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(healthy.IsHealthy);
    }

    [Fact]
    public async Task Waiting_for_a_condition_already_true_completes_at_once()
    {
        var registry = new ResourceRegistry();
        registry.Add(Snapshot("worker") with { State = ResourceState.Stopped });

        var stopped = await registry.WaitForAsync("worker", s => s.State == ResourceState.Stopped, CancellationToken.None);

        Assert.Equal(ResourceState.Stopped, stopped.State);
    }

    [Fact]
    public async Task Waiting_stops_when_cancelled()
    {
        var registry = new ResourceRegistry();
        registry.Add(Snapshot("worker"));
        using var cancel = new CancellationTokenSource();

        var waiting = registry.WaitForAsync("worker", s => s.IsHealthy, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public void Resources_are_listed_in_the_order_they_were_added()
    {
        var registry = new ResourceRegistry();
        registry.Add(Snapshot("redis"));
        registry.Add(Snapshot("postgres"));
        registry.Add(Snapshot("gateway"));

        Assert.Equal(["redis", "postgres", "gateway"], registry.GetAll().Select(r => r.Name));
    }

    private static ResourceSnapshot Snapshot(string name) =>
        new(name, "Project", ResourceState.Waiting, HealthStatus.Unknown, null, 0, null, null, [], $"/logs/{name}.log");
}
