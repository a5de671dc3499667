using System.Collections.Concurrent;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Sinks.Client;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// A sink as the scheduler sees it: what the sink manager last said of it (state, capacity, load), what the scheduler
/// knows itself (calls in flight here, memory they hold, modules it placed or ran there and when they last ran), and,
/// for a sink that takes pushed work, its client. When the sink goes offline or leaves, <see cref="Lost"/> fires for the
/// calls running on it.
/// </summary>
public sealed class Sink
{
    /// <summary>
    /// How long a module this scheduler placed (a cold call, a prewarm) or unloaded takes to show in, or vanish from, the
    /// sink's heartbeats: until then the scheduler's own word stands over the report.
    /// </summary>
    public static readonly TimeSpan ReportLag = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, WarmModule> warmModules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> unloaded = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private CancellationTokenSource lost = new();
    private int inFlight;
    private long memoryInUseMb;

    public Sink(SinkInfo info, Protos.V1.PushedSink.PushedSinkClient? client, TimeProvider? timeProvider = null, MultiplexingOptions? linkOptions = null)
    {
        time = timeProvider ?? TimeProvider.System;
        Id = info.SinkId;
        Name = info.Name;
        PushAddress = info.PushAddress;
        Client = client;
        Link = client is null ? null : new SinkLink(client, linkOptions ?? new MultiplexingOptions());
        Info = info;
        TakeWarmModules(info.Load);
    }

    public string Id { get; }

    public string Name { get; }

    public string PushAddress { get; }

    /// <summary>The client for pushed work; null for a sink that pulls.</summary>
    public Protos.V1.PushedSink.PushedSinkClient? Client { get; }

    /// <summary>How pushed executions reach the sink (multiplexed on one stream); null for a sink that pulls.</summary>
    public SinkLink? Link { get; }

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

    /// <summary>Whether the sink serves the execution mode.</summary>
    public bool Serves(ExecutionMode mode) => Info.Capacity?.Serves(mode) == true;

    /// <summary>A free slot and room for the memory, by this scheduler's count.</summary>
    public bool HasRoomFor(long memoryMb) => InFlight < Slots && MemoryInUseMb + memoryMb <= MemoryMb;

    /// <summary>Whether the module is loaded there, or being loaded by a call or a prewarm this scheduler sent.</summary>
    public bool IsWarm(string moduleSha256) => warmModules.ContainsKey(moduleSha256);

    /// <summary>Whether the sink answers the warm pool's Prewarm and Unload (a sink that does not is left to manage its own memory).</summary>
    public bool ControlsWarmPool { get; private set; } = true;

    /// <summary>The modules warm there, with how long each has gone without a call and how many calls run it now.</summary>
    public IReadOnlyList<WarmModuleState> WarmModules
    {
        get
        {
            var now = time.GetTimestamp();
            return [.. warmModules.Select(pair => new WarmModuleState(
                pair.Key, time.GetElapsedTime(Volatile.Read(ref pair.Value.LastUsed), now), Volatile.Read(ref pair.Value.Running)))];
        }
    }

    /// <param name="memoryMb">The function's memory, counted against the sink's until the call ends.</param>
    /// <param name="moduleSha256">The module the call runs: it counts as warm there from now on (the call loads it).</param>
    public void BeginCall(long memoryMb, string? moduleSha256 = null)
    {
        Interlocked.Increment(ref inFlight);
        Interlocked.Add(ref memoryInUseMb, memoryMb);
        if (moduleSha256 is not null)
        {
            var module = warmModules.GetValueOrDefault(moduleSha256) ?? Claim(moduleSha256);
            Interlocked.Increment(ref module.Running);
        }
    }

    public void EndCall(long memoryMb, string moduleSha256, bool moduleLoaded)
    {
        Interlocked.Decrement(ref inFlight);
        Interlocked.Add(ref memoryInUseMb, -memoryMb);
        var module = warmModules.GetValueOrDefault(moduleSha256) ?? (moduleLoaded ? Claim(moduleSha256) : null);
        if (module is not null)
        {
            Volatile.Write(ref module.LastUsed, time.GetTimestamp());
            if (Volatile.Read(ref module.Running) > 0)
            {
                Interlocked.Decrement(ref module.Running);
            }
        }
    }

    /// <summary>The module counts as warm here from now on: a call or a prewarm is loading it.</summary>
    public void ClaimWarm(string moduleSha256) => Claim(moduleSha256);

    /// <summary>The module is no longer loaded here (unloaded, or its prewarm failed); heartbeats that still list it are ignored for <see cref="ReportLag"/>.</summary>
    public void ForgetWarm(string moduleSha256)
    {
        if (warmModules.TryGetValue(moduleSha256, out var module) && Volatile.Read(ref module.Running) == 0)
        {
            warmModules.TryRemove(KeyValuePair.Create(moduleSha256, module));
        }

        unloaded[moduleSha256] = time.GetTimestamp();
    }

    /// <summary>The sink does not answer Prewarm or Unload.</summary>
    public void RefusesWarmPoolControl() => ControlsWarmPool = false;

    private WarmModule Claim(string moduleSha256)
    {
        unloaded.TryRemove(moduleSha256, out _);
        var now = time.GetTimestamp();
        var module = warmModules.GetOrAdd(moduleSha256, static (_, at) => new WarmModule(at), now);
        Volatile.Write(ref module.ClaimedAt, now);
        return module;
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

    /// <summary>
    /// The sink's own list of loaded modules replaces what the scheduler believed, except for what the scheduler did
    /// itself within <see cref="ReportLag"/> (a load it started, an unload it sent) and modules calls are running.
    /// </summary>
    private void TakeWarmModules(SinkLoad? load)
    {
        if (load is null)
        {
            return;
        }

        var now = time.GetTimestamp();
        foreach (var sha256 in load.WarmModules)
        {
            if (unloaded.TryGetValue(sha256, out var unloadedAt))
            {
                if (time.GetElapsedTime(unloadedAt, now) < ReportLag)
                {
                    continue;
                }

                unloaded.TryRemove(sha256, out _);
            }

            warmModules.TryAdd(sha256, new WarmModule(now));
        }

        if (warmModules.Count > load.WarmModules.Count)
        {
            var reported = load.WarmModules.ToHashSet(StringComparer.Ordinal);
            foreach (var (sha256, module) in warmModules)
            {
                if (!reported.Contains(sha256) && Volatile.Read(ref module.Running) == 0
                    && time.GetElapsedTime(Volatile.Read(ref module.ClaimedAt), now) >= ReportLag)
                {
                    warmModules.TryRemove(KeyValuePair.Create(sha256, module));
                }
            }
        }
    }

    /// <summary>The sink left the membership: calls on it will not get a result.</summary>
    public void MarkLost() => Volatile.Read(ref lost).Cancel();

    private sealed class WarmModule(long since)
    {
        public long LastUsed = since;

        /// <summary>When this scheduler last placed a call or a prewarm of it here (0: only the sink's report says so).</summary>
        public long ClaimedAt;

        public int Running;
    }
}

/// <summary>A module warm on a sink: how long since a call last ran it there, and how many run it now.</summary>
public readonly record struct WarmModuleState(string ModuleSha256, TimeSpan Idle, int Running);
