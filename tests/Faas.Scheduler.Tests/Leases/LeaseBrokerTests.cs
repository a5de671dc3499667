using Faas.Protos.V1;
using Grpc.Core;
using Faas.Scheduler.Tests.Fakes;
using static Faas.Scheduler.Tests.Fakes.DispatcherHarness;

namespace Faas.Scheduler.Tests.Leases;

/// <summary>
/// Slot leases at the scheduler, over a real dispatcher, real function queues and placement on fake sinks: a lease is a
/// slot of the function's queue held on one sink until it is returned, its stream ends or goes silent, or its sink is lost.
/// </summary>
public sealed class LeaseBrokerTests : IDisposable
{
    private readonly DispatcherHarness harness = new();
    private readonly LeasePipe gateway = new();
    private readonly CancellationTokenSource connection = new();
    private Task? serving;

    public void Dispose()
    {
        gateway.Close();
        connection.Cancel();
        serving?.Wait(TimeSpan.FromSeconds(5));
        connection.Dispose();
        harness.Dispose();
    }

    private async Task<LeaseTerms> ConnectAsync()
    {
        serving = harness.Leases.ServeAsync(gateway, gateway, new TestServerCallContext(cancellationToken: connection.Token));
        return (await gateway.NextAsync()).Terms;
    }

    private int Running(string name = "f") => harness.Queues.Get($"{TenantId}/{name}", 4, 8).Running;

    [Fact]
    public async Task A_stream_begins_with_its_terms()
    {
        harness.LeaseSettings.KeepAlive = TimeSpan.FromMilliseconds(500);
        harness.LeaseSettings.Expiry = TimeSpan.FromSeconds(2);

        var terms = await ConnectAsync();

        Assert.Equal((500u, 2000u), (terms.KeepAliveMs, terms.ExpiryMs));
    }

    [Fact]
    public async Task A_grant_names_the_sink_and_holds_a_slot_of_the_function_and_of_the_sink_until_it_is_returned()
    {
        var worker = harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();

        gateway.Acquire(1, Function());
        var grant = (await gateway.NextAsync()).Grant;

        Assert.Equal((1ul, worker.Sink.Id, "a", worker.Sink.PushAddress), (grant.RequestId, grant.SinkId, grant.SinkName, grant.PushAddress));
        Assert.Equal((1, 1, 1, 1), (Running(), worker.Sink.InFlight, harness.Tenants.Held, harness.Leases.Held));
        Assert.Equal(0, worker.Calls); // the gateway calls the sink itself

        gateway.Return(grant.LeaseId);
        await EventuallyAsync(() => Running() == 0);
        Assert.Equal((0, 0, 0), (worker.Sink.InFlight, harness.Tenants.Held, harness.Leases.Held));
    }

    [Fact]
    public async Task Acquires_beyond_max_concurrency_wait_in_the_queue_and_other_gateways_are_asked_to_give_leases_back()
    {
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        var other = new LeasePipe();
        using var otherConnection = new CancellationTokenSource();
        var otherServing = harness.Leases.ServeAsync(other, other, new TestServerCallContext(cancellationToken: otherConnection.Token));
        await other.NextAsync(); // its terms
        var function = Function(maxConcurrency: 2);

        other.Acquire(1, function);
        other.Acquire(2, function);
        var first = (await other.NextAsync()).Grant;
        await other.NextAsync();
        gateway.Acquire(3, function);

        // The gateway holding the slots is asked for them; the one waiting is not (it would hand its own to its own).
        var reclaim = (await other.NextAsync()).Reclaim;
        Assert.Equal((TenantId, "f"), (reclaim.TenantId, reclaim.FunctionName));
        Assert.True(reclaim.ForMs > 0);
        Assert.Null(await gateway.NothingWithinAsync(TimeSpan.FromMilliseconds(200))); // the third waits, and hears nothing

        other.Return(first.LeaseId);
        var third = (await gateway.NextAsync()).Grant;
        Assert.Equal(3ul, third.RequestId);
        Assert.Equal(2, harness.Leases.Held);
        other.Close();
        await otherServing.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_gateway_waiting_behind_its_own_leases_is_not_asked_to_give_them_back()
    {
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        var function = Function(maxConcurrency: 1);
        gateway.Acquire(1, function);
        var first = (await gateway.NextAsync()).Grant;

        gateway.Acquire(2, function);

        Assert.Null(await gateway.NothingWithinAsync(TimeSpan.FromMilliseconds(200)));
        gateway.Return(first.LeaseId);
        Assert.Equal(2ul, (await gateway.NextAsync()).Grant.RequestId);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_resource_exhausted_and_a_retry_after()
    {
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        var function = Function(maxConcurrency: 1, queueCapacity: 1);

        gateway.Acquire(1, function);
        await gateway.NextAsync(); // granted
        gateway.Acquire(2, function); // waits
        gateway.Acquire(3, function); // no room

        var refusal = await FirstRefusalAsync();
        Assert.Equal((3ul, (int)StatusCode.ResourceExhausted), (refusal.RequestId, refusal.StatusCode));
        Assert.True(refusal.RetryAfterSeconds >= 1);
        Assert.Contains("is full", refusal.StatusDetail);
        Assert.Equal(1, harness.Counted("faas.scheduler.rejections"));
    }

    [Fact]
    public async Task Everything_a_stream_holds_comes_back_when_the_gateway_goes_away()
    {
        var worker = harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        var function = Function(maxConcurrency: 2);
        gateway.Acquire(1, function);
        gateway.Acquire(2, function);
        await gateway.NextAsync();
        await gateway.NextAsync();

        gateway.Close();

        await serving!.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0, 0, 0), (Running(), worker.Sink.InFlight, harness.Tenants.Held, harness.Leases.Held));
    }

    [Fact]
    public async Task A_stream_silent_past_its_expiry_loses_its_leases()
    {
        harness.LeaseSettings.KeepAlive = TimeSpan.FromMilliseconds(100);
        harness.LeaseSettings.Expiry = TimeSpan.FromMilliseconds(400);
        var worker = harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        gateway.Acquire(1, Function());
        await gateway.NextAsync();

        // The gateway says nothing more (and never closes): the scheduler ends the stream itself.
        await serving!.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((0, 0, 0), (Running(), worker.Sink.InFlight, harness.Leases.Held));
    }

    [Fact]
    public async Task A_gateway_that_keeps_speaking_keeps_its_leases()
    {
        // Three times the expiry, speaking twenty times as often as it must (room for the pauses of a machine that runs
        // the other test assemblies beside this one: a 1 s expiry was once outlasted by such a pause).
        harness.LeaseSettings.KeepAlive = TimeSpan.FromMilliseconds(100);
        harness.LeaseSettings.Expiry = TimeSpan.FromSeconds(2);
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        gateway.Acquire(1, Function());
        await gateway.NextAsync();

        for (var i = 0; i < 60; i++)
        {
            gateway.Send(new LeaseClientMessage { KeepAlive = new LeaseKeepAlive() });
            await Task.Delay(100);
        }

        Assert.False(serving!.IsCompleted);
        Assert.Equal(1, harness.Leases.Held);
    }

    [Fact]
    public async Task A_lost_sink_revokes_its_leases_and_gives_their_slots_back()
    {
        var worker = harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        gateway.Acquire(1, Function());
        var grant = (await gateway.NextAsync()).Grant;

        worker.Sink.MarkLost();

        var revoke = (await gateway.NextAsync()).Revoke;
        Assert.Equal([grant.LeaseId], revoke.LeaseIds);
        Assert.Contains("went offline", revoke.Reason);
        Assert.Equal((0, 0, 0), (Running(), worker.Sink.InFlight, harness.Leases.Held));

        gateway.Return(grant.LeaseId); // the gateway's return of a revoked lease changes nothing
        await Task.Delay(50);
        Assert.Equal(0, Running());
    }

    [Fact]
    public async Task An_acquire_that_excludes_a_sink_is_placed_on_another()
    {
        var a = harness.AddSink("a", (_, _) => Ok("never"), warm: ["sha-f"]);
        var b = harness.AddSink("b", (_, _) => Ok("never"));
        await ConnectAsync();

        gateway.Acquire(1, Function(), a.Sink.Id);

        Assert.Equal(b.Sink.Id, (await gateway.NextAsync()).Grant.SinkId);
    }

    [Fact]
    public async Task JOB_mode_and_sinks_that_only_pull_are_sent_to_dispatch_holding_nothing()
    {
        await ConnectAsync();
        var job = Function();
        job.Mode = ExecutionMode.Job;

        gateway.Acquire(1, job);
        gateway.Acquire(2, Function()); // no pushed sink at all: the sink manager's business, through Dispatch

        var answers = new[] { (await gateway.NextAsync()).Refusal, (await gateway.NextAsync()).Refusal };
        Assert.All(answers, r => Assert.True(r.Dispatch));
        Assert.Equal((0, 0, 0), (Running(), harness.Tenants.Held, harness.Leases.Held));
    }

    [Fact]
    public async Task A_cancelled_acquire_leaves_the_queue_unanswered_and_holds_nothing()
    {
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();
        var function = Function(maxConcurrency: 1);
        gateway.Acquire(1, function);
        var first = (await gateway.NextAsync()).Grant;
        gateway.Acquire(2, function);
        await EventuallyAsync(() => harness.Queues.Get($"{TenantId}/f", 1, 8).Waiting == 1);

        gateway.Send(new LeaseClientMessage { Cancel = new LeaseCancel { RequestId = 2 } });

        await EventuallyAsync(() => harness.Queues.Get($"{TenantId}/f", 1, 8).Waiting == 0);
        gateway.Return(first.LeaseId);
        await EventuallyAsync(() => Running() == 0);
        Assert.Null(await gateway.NothingWithinAsync(TimeSpan.FromMilliseconds(200))); // no grant, and no answer at all
        Assert.Equal((0, 0), (harness.Tenants.Held, harness.Leases.Held));
    }

    public static TheoryData<string, FunctionSpec?> BadAcquires => new()
    {
        { "no function", null },
        { "no module", new FunctionSpec { TenantId = TenantId, Name = "f" } },
        { "a tenant id that is no UUID", new FunctionSpec { TenantId = "../../etc", Name = "f", ModuleSha256 = "sha" } },
    };

    [Theory]
    [MemberData(nameof(BadAcquires))]
    public async Task A_malformed_acquire_is_an_invalid_argument_and_holds_nothing(string why, FunctionSpec? function)
    {
        harness.AddSink("a", (_, _) => Ok("never"));
        await ConnectAsync();

        gateway.Send(new LeaseClientMessage { Acquire = new LeaseAcquire { RequestId = 7, Function = function } });

        var refusal = (await gateway.NextAsync()).Refusal;
        Assert.True(refusal.StatusCode == (int)StatusCode.InvalidArgument, why);
        Assert.Equal((0, 0), (harness.Tenants.Held, harness.Leases.Held));
    }

    private async Task<LeaseRefusal> FirstRefusalAsync()
    {
        while (true)
        {
            var message = await gateway.NextAsync();
            if (message.Refusal is { } refusal)
            {
                return refusal;
            }
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
