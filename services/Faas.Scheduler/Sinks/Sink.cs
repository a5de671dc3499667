using System.Collections.Concurrent;
using Faas.Protos.V1;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// A sink as the scheduler sees it: what the sink manager last said of it (state, capacity, load), what the scheduler
/// knows itself (calls in flight here, memory they hold, modules it ran there), and, for a sink that takes pushed
/// work, its client. When the sink goes offline or leaves, <see cref="Lost"/> fires for the calls running on it.
/// </summary>
public sealed class Sink
{
    private readonly ConcurrentDictionary<string, byte> warmModules = new(StringComparer.Ordinal);
    private CancellationTokenSource lost = new();
    private int inFlight;
    private long memoryInUseMb;

    public Sink(SinkInfo info, Protos.V1.Runtime.RuntimeClient? client)
    {
        Id = info.SinkId;
        Name = info.Name;
        PushAddress = info.PushAddress;
        Client = client;
        Info = info;
        TakeWarmModules(info.Load);
    }

    public string Id { get; }

    public string Name { get; }

    public string PushAddress { get; }

    /// <summary>The client for pushed work; null for a sink that pulls.</summary>
    public Protos.V1.Runtime.RuntimeClient? Client { get; }

    public bool Pulls => Client is null;

    /// <summary>What the sink manager last reported.</summary>
    public SinkInfo Info { get; private set; }

    public SinkState State => Info.State;

    public bool IsOnline => Info.State == SinkState.SinkOnline;

    public int Slots => (int)Math.Max(1, Info.Capacity?.Slots ?? 1);

    public long MemoryMb => Info.Capacity?.MemoryMb ?? 0;

    public long MaxFunctionMemoryMb => Info.Capacity?.MaxFunctionMemoryMb() ?? 0;

    /// <summary>Calls in flight: this scheduler's own count for pushed work, the sink manager's for pulled work.</summary>
    public int InFlight => Pulls ? (int)Info.TasksHeld : Volatile.Read(ref inFlight);

    public long MemoryInUseMb => Interlocked.Read(ref memoryInUseMb);

    /// <summary>Fires when the sink goes offline, drains past use or leaves: calls running on it will not get a result.</summary>
    public CancellationToken Lost => Volatile.Read(ref lost).Token;

    /// <summary>Load score: lower is better. Calls in flight relative to slots, nudged by the sink's smoothed CPU.</summary>
    public double Score => ((double)InFlight / Slots) + (0.25 * (Info.Load?.Cpu ?? 0));

    public bool CanRun(string runtime, ExecutionMode mode, long memoryMb) => Info.Capacity?.CanRun(runtime, mode, memoryMb) == true;

    /// <summary>A free slot and room for the memory, by this scheduler's count.</summary>
    public bool HasRoomFor(long memoryMb) => InFlight < Slots && MemoryInUseMb + memoryMb <= MemoryMb;

    public bool IsWarm(string moduleSha256) => warmModules.ContainsKey(moduleSha256);

    public void BeginCall(long memoryMb)
    {
        Interlocked.Increment(ref inFlight);
        Interlocked.Add(ref memoryInUseMb, memoryMb);
    }

    public void EndCall(long memoryMb, string moduleSha256, bool moduleLoaded)
    {
        Interlocked.Decrement(ref inFlight);
        Interlocked.Add(ref memoryInUseMb, -memoryMb);
        if (moduleLoaded)
        {
            warmModules.TryAdd(moduleSha256, 0);
        }
    }

    /// <summary>Takes the sink manager's latest word; a sink no longer online loses its running calls.</summary>
    public void Update(SinkInfo info)
    {
        var wasOnline = IsOnline;
        Info = info;
        TakeWarmModules(info.Load);

        if (wasOnline && info.State is SinkState.SinkOffline or SinkState.SinkDeleted)
        {
            MarkLost();
        }
        else if (!wasOnline && info.State == SinkState.SinkOnline)
        {
            // Calls may still hold the old token; it is left to the collector rather than disposed under them.
            Volatile.Write(ref lost, new CancellationTokenSource());
        }
    }

    /// <summary>The sink's own list of loaded modules replaces what the scheduler believed.</summary>
    private void TakeWarmModules(SinkLoad? load)
    {
        if (load is not null)
        {
            foreach (var module in load.WarmModules)
            {
                warmModules.TryAdd(module, 0);
            }

            if (warmModules.Count > load.WarmModules.Count)
            {
                var reported = load.WarmModules.ToHashSet(StringComparer.Ordinal);
                foreach (var module in warmModules.Keys.Where(m => !reported.Contains(m)))
                {
                    warmModules.TryRemove(module, out _);
                }
            }
        }
    }

    /// <summary>The sink left the membership: calls on it will not get a result.</summary>
    public void MarkLost() => Volatile.Read(ref lost).Cancel();
}
