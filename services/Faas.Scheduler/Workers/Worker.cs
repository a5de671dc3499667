using System.Collections.Concurrent;
using Faas.Protos.V1;
using Grpc.Net.Client;

namespace Faas.Scheduler.Workers;

/// <summary>
/// A runtime worker as the scheduler sees it: its client, what it last reported, and what the scheduler
/// itself knows (calls in flight, modules it has run there).
/// </summary>
public sealed class Worker(string name, Uri address, GrpcChannel channel)
{
    private const int UnavailableAfterFailures = 2;

    private readonly ConcurrentDictionary<string, byte> warmModules = new();
    private int inFlight;
    private int consecutiveFailures;

    public string Name { get; } = name;

    public Uri Address { get; } = address;

    public Protos.V1.Runtime.RuntimeClient Client { get; } = new(channel);

    /// <summary>Execution slots the worker reported; until it reports, assume one per core here.</summary>
    public int Slots { get; private set; } = Environment.ProcessorCount;

    /// <summary>EMA-smoothed CPU fraction the worker reported.</summary>
    public double Cpu { get; private set; }

    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Reachable: its last status probe answered (or it has not been probed yet).</summary>
    public bool IsAvailable => Volatile.Read(ref consecutiveFailures) < UnavailableAfterFailures;

    public bool IsWarm(string moduleSha256) => warmModules.ContainsKey(moduleSha256);

    public void BeginCall() => Interlocked.Increment(ref inFlight);

    public void EndCall(string moduleSha256, bool moduleLoaded)
    {
        Interlocked.Decrement(ref inFlight);
        if (moduleLoaded)
        {
            warmModules.TryAdd(moduleSha256, 0);
        }
    }

    public void Reported(WorkerStatus status)
    {
        Slots = (int)Math.Max(1, status.Slots);
        Cpu = status.Cpu;
        Volatile.Write(ref consecutiveFailures, 0);
        foreach (var module in status.WarmModules)
        {
            warmModules.TryAdd(module, 0);
        }

        // Modules the worker evicted are no longer warm there.
        if (warmModules.Count > status.WarmModules.Count)
        {
            var reported = status.WarmModules.ToHashSet(StringComparer.Ordinal);
            foreach (var module in warmModules.Keys)
            {
                if (!reported.Contains(module))
                {
                    warmModules.TryRemove(module, out _);
                }
            }
        }
    }

    public void Unreachable() => Interlocked.Increment(ref consecutiveFailures);

    /// <summary>Known down (a connection was refused): no placement until a status probe answers again.</summary>
    public void Down() => Volatile.Write(ref consecutiveFailures, UnavailableAfterFailures);

    /// <summary>Load score: lower is better. In-flight calls relative to slots, nudged by CPU.</summary>
    public double Score => ((double)InFlight / Slots) + (0.25 * Cpu);
}
