using Faas.Protos.V1;
using Faas.Scheduler.Sinks;
using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Tests;

/// <summary>Sinks as the sink manager reports them, for tests of what the scheduler makes of them.</summary>
internal static class TestSinks
{
    private static readonly ServiceTokens Tokens = new(
        Options.Create(new ServiceAuthOptions { Key = ServiceKey.Generate() }), new HostingEnvironment { ApplicationName = "tests" }, TimeProvider.System);

    public static SinkView View(TimeProvider? time = null) => new(Tokens, NullLogger<SinkView>.Instance, time);

    public static SinkInfo Info(
        string name, uint slots = 4, uint memoryMb = 4096, string[]? warm = null, bool pulls = false, string[]? runtimes = null,
        SinkState state = SinkState.SinkOnline, uint held = 0, double cpu = 0) => new()
    {
        SinkId = "id-" + name,
        Name = name,
        State = state,
        Capacity = new SinkCapacity { Slots = slots, MemoryMb = memoryMb, Runtimes = { runtimes ?? ["wasm"] } },
        Load = new SinkLoad { Cpu = cpu, WarmModules = { warm ?? [] } },
        PushAddress = pulls ? "" : $"http://127.0.0.1:{6000 + name.Length}/{name}",
        TasksHeld = held,
    };

    /// <summary>The membership becomes exactly these sinks.</summary>
    public static void Members(this SinkView view, params SinkInfo[] sinks)
    {
        var membership = new SinkMembership();
        membership.Sinks.Add(sinks);
        view.Apply(membership);
    }

    public static Sink Named(this SinkView view, string name) => view.Sinks.Single(s => s.Name == name);
}
