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
        Assert.Equal(limit, new TenantShares(() => slots, share).Limit);
    }

    [Fact]
    public async Task A_tenant_at_its_share_waits_while_another_tenant_still_gets_a_slot()
    {
        var shares = new TenantShares(() => 4, 0.75);
        var flooding = new List<TenantShares.Lease>();
        for (var i = 0; i < 3; i++)
        {
            flooding.Add(await shares.EnterAsync("flooder", CancellationToken.None));
        }

        var fourth = shares.EnterAsync("flooder", CancellationToken.None).AsTask();
        using var other = await shares.EnterAsync("quiet", CancellationToken.None);

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
        var shares = new TenantShares(() => 1, 1.0);
        var holder = await shares.EnterAsync("t", CancellationToken.None);
        using var gaveUp = new CancellationTokenSource();
        var first = shares.EnterAsync("t", gaveUp.Token).AsTask();
        var second = shares.EnterAsync("t", CancellationToken.None).AsTask();

        await gaveUp.CancelAsync();
        holder.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        using var lease = await second;
        Assert.Equal(1, shares.Running("t"));
    }

    [Fact]
    public async Task A_lease_released_twice_gives_back_one_slot()
    {
        var shares = new TenantShares(() => 2, 1.0);
        var lease = await shares.EnterAsync("t", CancellationToken.None);

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(0, shares.Running("t"));
    }
}
