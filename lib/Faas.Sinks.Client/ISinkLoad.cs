namespace Faas.Sinks.Client;

/// <summary>The host's load, reported with every heartbeat.</summary>
public interface ISinkLoad
{
    SinkLoadReport GetLoad();
}

/// <summary>How loaded the sink is now.</summary>
/// <param name="Cpu">CPU use as a share of the machine, 0 to 1 (smoothed).</param>
/// <param name="MemoryBytes">Memory the sink's process uses.</param>
/// <param name="InFlight">Invocations running now.</param>
/// <param name="WarmModules">Modules loaded and ready (module_sha256).</param>
public sealed record SinkLoadReport(double Cpu, long MemoryBytes, int InFlight, IReadOnlyCollection<string> WarmModules);

/// <summary>The load of a host that supplies none: its process's memory, nothing else.</summary>
internal sealed class ProcessSinkLoad : ISinkLoad
{
    public SinkLoadReport GetLoad() => new(0, Environment.WorkingSet, 0, []);
}
