using Faas.Protos.V1;
using Faas.Scheduler.Sinks;
using Faas.Scheduler.WarmPool;
using Microsoft.Extensions.Time.Testing;
using static Faas.Scheduler.Tests.TestSinks;

namespace Faas.Scheduler.Tests;

public sealed class WarmPoolPlannerTests : IDisposable
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider time = new();
    private readonly SinkView view;

    public WarmPoolPlannerTests() => view = TestSinks.View(time);

    public void Dispose() => view.Dispose();

    private void Members(params SinkInfo[] sinks) => view.Members(sinks);

    private Sink Named(string name) => view.Named(name);

    private static WarmTarget Target(string module = "abc", int minWarm = 0, int maxWarm = 16, int demand = 0, long memoryMb = 128) =>
        new("t/" + module, 1, module, "wasm", memoryMb, minWarm, maxWarm, demand);

    private IReadOnlyList<WarmAction> Plan(params WarmTarget[] targets) => WarmPoolPlanner.Plan(targets, view.Sinks, IdleTimeout);

    private static string[] Describe(IEnumerable<WarmAction> actions) =>
        [.. actions.Select(a => $"{a.Kind} {a.ModuleSha256} on {a.Sink.Name} ({a.Reason})")];

    [Fact]
    public void Min_warm_prewarms_on_the_least_loaded_sinks_before_any_call()
    {
        Members(Info("a", cpu: 0.9), Info("b"), Info("c", cpu: 0.5));

        Assert.Equal(["Prewarm abc on b (min_warm)", "Prewarm abc on c (min_warm)"], Describe(Plan(Target(minWarm: 2))));
    }

    [Fact]
    public void Sinks_that_already_hold_the_module_count_towards_min_warm()
    {
        Members(Info("a", warm: ["abc"]), Info("b"), Info("c"));

        Assert.Equal(["Prewarm abc on b (min_warm)"], Describe(Plan(Target(minWarm: 2))));
        Assert.Empty(Plan(Target(minWarm: 1)));
    }

    [Fact]
    public void Min_warm_is_bounded_by_the_sinks_that_can_run_the_function()
    {
        Members(Info("small", memoryMb: 256), Info("large"), Info("remote", pulls: true));

        Assert.Equal(["Prewarm abc on large (min_warm)"], Describe(Plan(Target(minWarm: 3, memoryMb: 1024))));
    }

    [Fact]
    public void Demand_beyond_the_slots_of_warm_sinks_prewarms_more_up_to_max_warm()
    {
        Members(Info("a", slots: 4, warm: ["abc"]), Info("b", slots: 4), Info("c", slots: 4));

        Assert.Empty(Plan(Target(demand: 4)));
        Assert.Equal(["Prewarm abc on b (demand)"], Describe(Plan(Target(demand: 6))));
        Assert.Equal(["Prewarm abc on b (demand)", "Prewarm abc on c (demand)"], Describe(Plan(Target(demand: 40))));
        Assert.Equal(["Prewarm abc on b (demand)"], Describe(Plan(Target(demand: 40, maxWarm: 2))));
        Assert.Empty(Plan(Target(demand: 40, maxWarm: 1)));
    }

    [Fact]
    public void An_idle_module_is_unloaded_down_to_min_warm_the_longest_idle_first()
    {
        Members(Info("a"), Info("b"), Info("c"));
        Named("b").ClaimWarm("abc");
        time.Advance(TimeSpan.FromMinutes(1));
        Named("a").ClaimWarm("abc");
        Named("c").ClaimWarm("abc");

        Assert.Empty(Plan(Target(minWarm: 1)));

        time.Advance(IdleTimeout - TimeSpan.FromSeconds(30));
        Assert.Equal(["Unload abc on b (idle)"], Describe(Plan(Target(minWarm: 1))));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["Unload abc on b (idle)", "Unload abc on a (idle)"], Describe(Plan(Target(minWarm: 1))));
    }

    [Fact]
    public void With_min_warm_0_an_idle_function_scales_to_zero()
    {
        Members(Info("a"), Info("b"));
        Named("a").BeginCall(128, "abc");
        Named("a").EndCall(128, "abc", moduleLoaded: true);
        Named("b").ClaimWarm("abc");

        time.Advance(IdleTimeout);

        Assert.Equal(["Unload abc on a (idle)", "Unload abc on b (idle)"], Describe(Plan(Target())));
    }

    [Fact]
    public void A_call_resets_the_idle_clock_and_a_running_module_is_never_unloaded()
    {
        Members(Info("a"), Info("b"));
        Named("a").ClaimWarm("abc");
        Named("b").ClaimWarm("abc");
        time.Advance(IdleTimeout - TimeSpan.FromSeconds(1));
        Named("a").BeginCall(128, "abc");
        Named("a").EndCall(128, "abc", moduleLoaded: true);
        Named("b").BeginCall(128, "abc");

        time.Advance(IdleTimeout);

        // a ran nothing for the idle timeout now; b's call is still running.
        Assert.Equal(["Unload abc on a (idle)"], Describe(Plan(Target())));
    }

    [Fact]
    public void Modules_no_function_runs_any_more_are_unloaded_once_idle()
    {
        Members(Info("a", warm: ["old"]));

        Assert.Empty(Plan(Target("new")));
        time.Advance(IdleTimeout);

        Assert.Contains("Unload old on a (idle)", Describe(Plan(Target("new"))));
    }

    [Fact]
    public void Beyond_max_warm_modules_without_a_running_call_are_unloaded_at_once()
    {
        Members(Info("a", warm: ["abc"]), Info("b", warm: ["abc"]), Info("c", warm: ["abc"]));
        Named("c").BeginCall(128, "abc");

        var plan = Plan(Target(maxWarm: 1));

        Assert.Equal(2, plan.Count);
        Assert.All(plan, a => Assert.Equal((WarmActionKind.Unload, "max_warm"), (a.Kind, a.Reason)));
        Assert.DoesNotContain(plan, a => a.Sink.Name == "c");
    }

    [Fact]
    public void A_module_shared_by_two_functions_keeps_the_larger_min_warm()
    {
        Members(Info("a", warm: ["abc"]), Info("b", warm: ["abc"]));
        time.Advance(IdleTimeout);

        var plan = Plan(new WarmTarget("t/one", 1, "abc", "wasm", 128, 0, 16, 0), new WarmTarget("t/two", 1, "abc", "wasm", 128, 2, 16, 0));

        Assert.Empty(plan);
    }

    [Fact]
    public void Sinks_that_pull_or_refuse_warm_control_are_left_alone()
    {
        Members(Info("remote", pulls: true), Info("foreign"), Info("worker"));
        Named("foreign").RefusesWarmPoolControl();

        Assert.Equal(["Prewarm abc on worker (min_warm)"], Describe(Plan(Target(minWarm: 3))));
    }

    [Fact]
    public void A_module_unloaded_here_does_not_come_back_from_a_heartbeat_sent_before_the_unload()
    {
        Members(Info("a", warm: ["abc"]));
        Named("a").ForgetWarm("abc");

        Members(Info("a", warm: ["abc"]));
        Assert.False(Named("a").IsWarm("abc"));

        time.Advance(Sink.ReportLag);
        Members(Info("a", warm: ["abc"]));
        Assert.True(Named("a").IsWarm("abc"));
    }

    [Fact]
    public void A_prewarm_in_progress_counts_as_warm_until_the_sink_reports_it()
    {
        Members(Info("a"));
        Named("a").ClaimWarm("abc");

        Members(Info("a"));
        Assert.True(Named("a").IsWarm("abc"));

        time.Advance(Sink.ReportLag);
        Members(Info("a"));
        Assert.False(Named("a").IsWarm("abc"));
    }
}
