using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Sinks;
using static Faas.Scheduler.Tests.TestSinks;

namespace Faas.Scheduler.Tests;

public sealed class PlacementPolicyTests : IDisposable
{
    private readonly SinkView view = TestSinks.View();

    public void Dispose() => view.Dispose();

    private void Members(params SinkInfo[] sinks) => view.Members(sinks);

    private Sink Named(string name) => view.Named(name);

    private static FunctionSpec Function(string module = "abc", uint memoryMb = 128, string runtime = "", uint maxWarm = 0) =>
        new() { ModuleSha256 = module, MemoryMb = memoryMb, Runtime = runtime, Mode = ExecutionMode.Warm, MaxWarm = maxWarm };

    private PlacementPolicy Policy => new(view);

    [Fact]
    public void Prefers_a_sink_with_the_module_warm_even_when_it_is_busier()
    {
        Members(Info("a"), Info("b", warm: ["abc"]));
        Named("b").BeginCall(128);

        Assert.Same(Named("b"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void Picks_the_least_loaded_sink_when_none_has_the_module()
    {
        Members(Info("a"), Info("b"));
        Named("a").BeginCall(128);

        Assert.Same(Named("b"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void Smoothed_cpu_breaks_ties_between_equally_busy_sinks()
    {
        Members(Info("a", cpu: 0.9), Info("b", cpu: 0.1));

        Assert.Same(Named("b"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void Falls_back_to_a_cold_sink_when_warm_ones_are_full()
    {
        Members(Info("a", slots: 1, warm: ["abc"]), Info("b"));
        Named("a").BeginCall(128);

        Assert.Same(Named("b"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void Only_sinks_with_room_for_the_memory_take_a_function()
    {
        Members(Info("small", memoryMb: 256), Info("large", memoryMb: 2048));

        for (var i = 0; i < 3; i++)
        {
            var chosen = Policy.Choose(Function(memoryMb: 512)).Push!;
            Assert.Same(Named("large"), chosen);
            chosen.BeginCall(512);
        }
    }

    [Fact]
    public void Memory_in_use_counts_against_a_sink()
    {
        Members(Info("a", memoryMb: 1024, warm: ["abc"]), Info("b", memoryMb: 1024));
        Named("a").BeginCall(768);

        Assert.Same(Named("b"), Policy.Choose(Function(memoryMb: 512)).Push);
    }

    [Fact]
    public void A_function_no_pushed_sink_can_hold_goes_to_the_sink_manager_which_knows_every_sink()
    {
        Members(Info("a", memoryMb: 256), Info("b", memoryMb: 1024));

        Assert.True(Policy.Choose(Function(memoryMb: 2048)).IsPull);
    }

    [Fact]
    public void A_runtime_no_pushed_sink_runs_goes_to_the_sink_manager_even_before_a_pulling_sink_is_seen()
    {
        Members(Info("a"));

        Assert.True(Policy.Choose(Function(runtime: "javascript")).IsPull);
    }

    [Fact]
    public void Functions_of_a_runtime_only_pulling_sinks_run_go_to_the_sink_manager()
    {
        Members(Info("wasm"), Info("node", pulls: true, runtimes: ["javascript"]));

        Assert.True(Policy.Choose(Function(runtime: "javascript")).IsPull);
        Assert.Same(Named("wasm"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void A_pulling_sink_with_a_free_slot_comes_before_waiting_on_a_full_pushed_one()
    {
        Members(Info("pushed", slots: 1), Info("remote", slots: 2, pulls: true, held: 1));
        Named("pushed").BeginCall(128);

        Assert.True(Policy.Choose(Function()).IsPull);
    }

    [Fact]
    public void Sinks_that_are_not_online_get_no_work()
    {
        Members(Info("offline", state: SinkState.SinkOffline), Info("draining", state: SinkState.SinkDraining), Info("online"));

        for (var i = 0; i < 8; i++)
        {
            var chosen = Policy.Choose(Function()).Push!;
            Assert.Same(Named("online"), chosen);
            chosen.BeginCall(1);
        }
    }

    [Fact]
    public void With_no_sink_online_here_the_sink_manager_has_the_last_word()
    {
        Assert.True(Policy.Choose(Function()).IsPull);
        Members(Info("a", state: SinkState.SinkOffline));
        Assert.True(Policy.Choose(Function()).IsPull);
    }

    [Fact]
    public void Sinks_already_tried_for_an_invocation_are_passed_over()
    {
        Members(Info("a", warm: ["abc"]), Info("b"));

        Assert.Same(Named("b"), Policy.Choose(Function(), [Named("a")]).Push);
        Assert.Throws<NoWorkerAvailableException>(() => Policy.Choose(Function(), [Named("a"), Named("b")]));
    }

    [Fact]
    public void A_sink_going_offline_loses_its_running_calls_and_a_returning_one_takes_work_again()
    {
        Members(Info("a"), Info("b"));
        var lost = Named("a").Lost;

        Members(Info("a", state: SinkState.SinkOffline), Info("b"));
        Assert.True(lost.IsCancellationRequested);
        Assert.Same(Named("b"), Policy.Choose(Function()).Push);

        Members(Info("a"), Info("b"));
        Assert.False(Named("a").Lost.IsCancellationRequested);
        Named("b").BeginCall(128);
        Assert.Same(Named("a"), Policy.Choose(Function()).Push);
    }

    [Fact]
    public void A_sink_that_leaves_the_membership_loses_its_running_calls()
    {
        Members(Info("a"), Info("b"));
        var lost = Named("a").Lost;

        Members(Info("b"));

        Assert.True(lost.IsCancellationRequested);
        Assert.Single(view.Sinks);
    }

    [Fact]
    public void Modules_a_sink_no_longer_reports_stop_counting_as_warm()
    {
        Members(Info("a", warm: ["abc"]));
        Assert.True(Named("a").IsWarm("abc"));

        Members(Info("a"));

        Assert.False(Named("a").IsWarm("abc"));
    }

    [Fact]
    public void At_max_warm_a_call_waits_on_a_warm_sink_rather_than_loading_the_module_on_another()
    {
        Members(Info("a", slots: 1, warm: ["abc"]), Info("b", slots: 1, warm: ["abc"]), Info("c"));
        Named("a").BeginCall(128, "abc");
        Named("b").BeginCall(128, "abc");
        Named("b").BeginCall(128, "abc");

        Assert.Same(Named("a"), Policy.Choose(Function(maxWarm: 2)).Push);
        Assert.Same(Named("c"), Policy.Choose(Function(maxWarm: 3)).Push);
        Assert.Same(Named("c"), Policy.Choose(Function(maxWarm: 0)).Push);
    }

    [Fact]
    public void A_cold_call_counts_towards_max_warm_at_once()
    {
        Members(Info("a", slots: 1), Info("b", slots: 1));
        var first = Policy.Choose(Function(maxWarm: 1)).Push!;
        first.BeginCall(128, "abc");

        Assert.Same(first, Policy.Choose(Function(maxWarm: 1)).Push);
    }

    [Fact]
    public async Task Calls_placed_at_the_same_moment_do_not_load_the_module_beyond_max_warm()
    {
        Members(Info("a", slots: 64, cpu: 0.5), Info("b", slots: 64), Info("c", slots: 64, cpu: 0.2));
        using var start = new ManualResetEventSlim();
        var policy = Policy;

        var placed = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return policy.Place(Function(maxWarm: 1)).Push!;
        })).Append(Task.Run(() =>
        {
            start.Set();
            return policy.Place(Function(maxWarm: 1)).Push!;
        })));

        Assert.Single(placed.Distinct());
        Assert.Equal(33, placed[0].InFlight);
    }

    [Fact]
    public void A_prewarm_planned_before_a_call_put_the_module_elsewhere_is_not_claimed_past_max_warm()
    {
        Members(Info("a"), Info("b"));
        var policy = Policy;
        // The warm pool planned a prewarm on b; a call was placed on a before the prewarm was claimed.
        var called = policy.Place(Function(maxWarm: 1)).Push!;
        var other = called == Named("a") ? Named("b") : Named("a");

        Assert.False(policy.TryClaimForPrewarm(other, "abc", maxWarm: 1));
        Assert.False(other.IsWarm("abc"));
        Assert.True(policy.TryClaimForPrewarm(called, "abc", maxWarm: 1));
        Assert.True(policy.TryClaimForPrewarm(other, "abc", maxWarm: 2));
        Assert.True(other.IsWarm("abc"));
    }

    [Fact]
    public void A_call_after_a_prewarm_was_claimed_goes_to_the_prewarmed_sink_at_max_warm()
    {
        Members(Info("a"), Info("b", cpu: 0.9));
        var policy = Policy;

        Assert.True(policy.TryClaimForPrewarm(Named("b"), "abc", maxWarm: 1));

        Assert.Same(Named("b"), policy.Place(Function(maxWarm: 1)).Push);
    }
}
