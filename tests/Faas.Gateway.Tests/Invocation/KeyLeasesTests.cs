using Faas.Gateway.Invocation.Leases;
using Faas.Protos.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Tests.Invocation;

/// <summary>
/// One function version's leases at a gateway: which waiting call a lease serves, when an acquire is sent, and what a
/// refusal or a reclaim does. Acquires are not tied to calls: every waiting call is covered by an outstanding one.
/// </summary>
public sealed class KeyLeasesTests : IDisposable
{
    private static readonly LeaseKey Key = new("7d3c9a52-0f7e-4a44-9d7f-6c1b2a3e4f50", "f", 1, "sha-f");
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly KeyLeases pool = new();
    private readonly SlotLeases owner;
    private readonly LeaseStream stream;
    private ulong nextLease;

    public KeyLeasesTests()
    {
        var scheduler = new Protos.V1.Scheduler.SchedulerClient(new Faas.Scheduler.Tests.Fakes.FakeCallInvoker(_ => throw new NotSupportedException()));
        owner = new SlotLeases(scheduler, Options.Create(new LeaseClientOptions()), services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<SlotLeases>.Instance);
        stream = NewStream();
    }

    public void Dispose() => services.Dispose();

    private LeaseStream NewStream() => new(
        new AsyncDuplexStreamingCall<LeaseClientMessage, LeaseServerMessage>(
            null!, null!, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { }),
        owner, NullLogger.Instance);

    private SlotLease Lease(LeaseStream? on = null) =>
        new(on ?? stream, Key, new LeaseGrant { LeaseId = ++nextLease, SinkId = "s", SinkName = "worker-0", PushAddress = "http://127.0.0.1:1" });

    private (LeaseWaiter Waiter, bool Acquire) Wait()
    {
        Assert.Null(pool.TakeOrWait(out var waiter, out var acquire));
        return (Assert.IsType<LeaseWaiter>(waiter), acquire);
    }

    [Fact]
    public void Every_waiting_call_is_covered_by_an_outstanding_acquire()
    {
        var sent = 0;
        for (var i = 0; i < 3; i++)
        {
            if (Wait().Acquire)
            {
                pool.AddOutstanding(stream, (ulong)++sent);
            }
        }

        Assert.Equal(3, sent);

        // One is served by a lease of the gateway's own; the next call is covered by its acquire and sends none: a
        // saturated function costs the scheduler nothing per call.
        pool.HandOffOrKeep(Lease());
        var (_, acquire) = Wait();
        Assert.False(acquire);
    }

    [Fact]
    public async Task A_lease_whose_call_ended_serves_the_call_waiting_longest_and_no_acquire_is_spent()
    {
        var (first, _) = Wait();
        pool.AddOutstanding(stream, 1);
        var (second, _) = Wait();
        pool.AddOutstanding(stream, 2);
        var lease = Lease();

        pool.HandOffOrKeep(lease);

        Assert.Same(lease, await first.Answer);
        Assert.False(second.Answer.IsCompleted);
        // The served call's acquire stays outstanding: its grant will serve the next call, or a reclaim cancels it.
        Assert.Equal([(stream, 2ul)], pool.TakeExcess());
    }

    [Fact]
    public void A_lease_nobody_waits_for_is_kept_idle_and_taken_by_the_next_call_without_an_acquire()
    {
        var lease = Lease();
        pool.HandOffOrKeep(lease);

        Assert.Same(lease, pool.TakeOrWait(out var waiter, out var acquire));
        Assert.Null(waiter);
        Assert.False(acquire);
    }

    [Fact]
    public void A_void_lease_is_never_handed_out()
    {
        var dead = NewStream();
        pool.HandOffOrKeep(Lease(dead));
        dead.End();

        Assert.Null(pool.TakeOrWait(out var waiter, out var acquire));
        Assert.NotNull(waiter);
        Assert.True(acquire);
    }

    [Fact]
    public async Task A_grant_serves_the_call_waiting_longest_or_goes_idle_or_back_while_the_scheduler_reclaims()
    {
        var (waiter, _) = Wait();
        pool.AddOutstanding(stream, 1);
        pool.AddOutstanding(stream, 2);
        var served = Lease();

        Assert.True(pool.Granted(stream, 1, served, reclaiming: false));
        Assert.Same(served, await waiter.Answer);

        Assert.False(pool.Granted(stream, 2, Lease(), reclaiming: true)); // nobody waits: handed back
        Assert.True(pool.IsEmpty);
    }

    [Fact]
    public async Task A_refusal_is_heard_by_the_call_that_came_last()
    {
        var (first, _) = Wait();
        pool.AddOutstanding(stream, 1);
        var (last, _) = Wait();
        pool.AddOutstanding(stream, 2);

        pool.Refused(stream, 2, new RpcException(new Status(StatusCode.ResourceExhausted, "full")));

        var error = await Assert.ThrowsAsync<RpcException>(() => last.Answer);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.False(first.Answer.IsCompleted);

        pool.Refused(stream, 1, null); // go through Dispatch
        Assert.Null(await first.Answer);
        Assert.True(pool.IsEmpty);
    }

    [Fact]
    public void A_call_that_gives_up_leaves_its_acquire_in_excess_for_a_reclaim_to_cancel()
    {
        var (waiter, _) = Wait();
        pool.AddOutstanding(stream, 7);

        Assert.True(pool.Remove(waiter));
        Assert.False(pool.Remove(waiter));

        Assert.Equal([(stream, 7ul)], pool.TakeExcess());
        Assert.True(pool.IsEmpty);
    }
}
