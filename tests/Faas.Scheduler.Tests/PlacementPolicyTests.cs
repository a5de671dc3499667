using Faas.Protos.V1;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Workers;
using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Tests;

public class PlacementPolicyTests
{
    private static WorkerDirectory Directory(int workers) => new(new ConfigurationBuilder()
        .AddInMemoryCollection(Enumerable.Range(0, workers).Select(i =>
            new KeyValuePair<string, string?>($"services:runtime:grpc:{i}", $"http://127.0.0.1:{6000 + i}")))
        .Build(), Tokens);

    private static readonly ServiceTokens Tokens = new(
        Options.Create(new ServiceAuthOptions { Key = ServiceKey.Generate() }), new HostingEnvironment { ApplicationName = "tests" }, TimeProvider.System);

    private static WorkerStatus Status(uint slots, params string[] warm)
    {
        var status = new WorkerStatus { Slots = slots };
        status.WarmModules.Add(warm);
        return status;
    }

    [Fact]
    public void Workers_come_from_aspire_style_service_endpoints_in_index_order()
    {
        using var directory = Directory(3);

        Assert.Equal(["runtime-0", "runtime-1", "runtime-2"], directory.Workers.Select(w => w.Name));
        Assert.Equal(new Uri("http://127.0.0.1:6001"), directory.Workers[1].Address);
    }

    [Fact]
    public void Prefers_a_worker_with_the_module_warm_even_when_it_is_busier()
    {
        using var directory = Directory(2);
        directory.Workers[0].Reported(Status(4));
        directory.Workers[1].Reported(Status(4, "abc"));
        directory.Workers[1].BeginCall();

        var chosen = new PlacementPolicy(directory).Choose("abc");

        Assert.Same(directory.Workers[1], chosen);
    }

    [Fact]
    public void Picks_the_least_loaded_worker_when_no_worker_has_the_module()
    {
        using var directory = Directory(2);
        directory.Workers[0].Reported(Status(4));
        directory.Workers[1].Reported(Status(4));
        directory.Workers[0].BeginCall();

        Assert.Same(directory.Workers[1], new PlacementPolicy(directory).Choose("abc"));
    }

    [Fact]
    public void Falls_back_to_a_cold_worker_when_warm_ones_are_full()
    {
        using var directory = Directory(2);
        directory.Workers[0].Reported(Status(1, "abc"));
        directory.Workers[1].Reported(Status(1));
        directory.Workers[0].BeginCall();

        Assert.Same(directory.Workers[1], new PlacementPolicy(directory).Choose("abc"));
    }

    [Fact]
    public void Skips_unreachable_workers_and_returns_none_when_all_are()
    {
        using var directory = Directory(2);
        directory.Workers[0].Unreachable();
        directory.Workers[0].Unreachable();
        var policy = new PlacementPolicy(directory);

        Assert.Same(directory.Workers[1], policy.Choose("abc"));

        directory.Workers[1].Unreachable();
        directory.Workers[1].Unreachable();
        Assert.Null(policy.Choose("abc"));
    }

    [Fact]
    public void Workers_already_tried_for_an_invocation_are_passed_over()
    {
        using var directory = Directory(2);
        directory.Workers[0].Reported(Status(4, "abc"));
        directory.Workers[1].Reported(Status(4));
        var policy = new PlacementPolicy(directory);

        Assert.Same(directory.Workers[1], policy.Choose("abc", [directory.Workers[0]]));
        Assert.Null(policy.Choose("abc", [directory.Workers[0], directory.Workers[1]]));
    }

    [Fact]
    public void A_worker_known_down_gets_no_work_until_it_reports_again()
    {
        using var directory = Directory(1);
        var worker = directory.Workers[0];
        var policy = new PlacementPolicy(directory);

        worker.Down();
        Assert.Null(policy.Choose("abc"));

        worker.Reported(Status(2));
        Assert.Same(worker, policy.Choose("abc"));
    }

    [Fact]
    public void Modules_a_worker_no_longer_reports_stop_counting_as_warm()
    {
        using var directory = Directory(1);
        var worker = directory.Workers[0];
        worker.Reported(Status(2, "abc", "def"));
        Assert.True(worker.IsWarm("abc"));

        worker.Reported(Status(2, "def"));

        Assert.False(worker.IsWarm("abc"));
        Assert.True(worker.IsWarm("def"));
    }
}
