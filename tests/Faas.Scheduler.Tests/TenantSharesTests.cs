using Faas.Protos.V1;
using Faas.Scheduler.Queues;

namespace Faas.Scheduler.Tests;

public sealed class TenantSharesTests
{
    [Theory]
    [InlineData(8, 0.75, 6)]
    [InlineData(4, 0.75, 3)]
    [InlineData(2, 0.75, 1)]
    [InlineData(1, 0.75, 1)]
    [InlineData(4, 1.0, 4)]
    public void A_tenant_may_use_its_share_of_the_online_slots_and_at_least_one(int slots, double share, int limit)
    {
        Assert.Equal(limit, new TenantShares(_ => slots, share).LimitFor(ExecutionMode.Warm));
    }

    [Fact]
    public async Task A_tenant_at_its_share_waits_while_another_tenant_still_gets_a_slot()
    {
        var shares = new TenantShares(_ => 4, 0.75);
        var flooding = new List<TenantShares.Lease>();
        for (var i = 0; i < 3; i++)
        {
            flooding.Add(await shares.EnterAsync("flooder", ExecutionMode.Warm, CancellationToken.None));
        }

        var fourth = shares.EnterAsync("flooder", ExecutionMode.Warm, CancellationToken.None).AsTask();
        using var other = await shares.EnterAsync("quiet", ExecutionMode.Warm, CancellationToken.None);

        Assert.False(fourth.IsCompleted);
        Assert.Equal((3, 1), (shares.Running("flooder"), shares.Running("quiet")));
        flooding[0].Dispose();
        using var granted = await fourth;
        Assert.Equal(3, shares.Running("flooder"));
        flooding.Skip(1).ToList().ForEach(l => l.Dispose());
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order_and_a_cancelled_waiter_leaves_the_line()
    {
        var shares = new TenantShares(_ => 1, 1.0);
        var holder = await shares.EnterAsync("t", ExecutionMode.Warm, CancellationToken.None);
        using var gaveUp = new CancellationTokenSource();
        var first = shares.EnterAsync("t", ExecutionMode.Warm, gaveUp.Token).AsTask();
        var second = shares.EnterAsync("t", ExecutionMode.Warm, CancellationToken.None).AsTask();

        await gaveUp.CancelAsync();
        holder.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        using var lease = await second;
        Assert.Equal(1, shares.Running("t"));
    }

    [Fact]
    public async Task A_lease_released_twice_gives_back_one_slot()
    {
        var shares = new TenantShares(_ => 2, 1.0);
        var lease = await shares.EnterAsync("t", ExecutionMode.Warm, CancellationToken.None);

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(0, shares.Running("t"));
    }

    [Fact]
    public async Task Each_mode_is_a_pool_of_its_own_so_container_slots_do_not_widen_the_warm_share()
    {
        // Two workers of two slots, and a job sink of 64 containers.
        var shares = new TenantShares(mode => mode == ExecutionMode.Job ? 64 : 4, 0.75);
        var warm = new List<TenantShares.Lease>();
        for (var i = 0; i < 3; i++)
        {
            warm.Add(await shares.EnterAsync("flooder", ExecutionMode.Warm, CancellationToken.None));
        }

        var fourthWarm = shares.EnterAsync("flooder", ExecutionMode.Unspecified, CancellationToken.None).AsTask(); // unspecified is WARM
        using var job = await shares.EnterAsync("flooder", ExecutionMode.Job, CancellationToken.None);

        Assert.False(fourthWarm.IsCompleted);
        Assert.Equal((3, 48), (shares.LimitFor(ExecutionMode.Warm), shares.LimitFor(ExecutionMode.Job)));
        Assert.Equal((3, 1), (shares.Running("flooder"), shares.Running("flooder", ExecutionMode.Job)));
        warm[0].Dispose();
        using var granted = await fourthWarm;
        warm.Skip(1).ToList().ForEach(l => l.Dispose());
    }
}
