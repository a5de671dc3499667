using System.Threading.Channels;
using Faas.Protos.V1;
using Faas.SinkManager.Tasks;
using Google.Protobuf.WellKnownTypes;

namespace Faas.SinkManager.Membership;

/// <summary>One sink as the sink manager knows it. Every field is read and written under the registry's lock.</summary>
internal sealed class SinkMember
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required Guid CredentialId { get; init; }

    public required SinkCapacity Capacity { get; init; }

    /// <summary>Where the scheduler pushes work; empty for a sink that pulls.</summary>
    public required string PushAddress { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required DateTimeOffset RegisteredAt { get; init; }

    public DateTimeOffset LastHeartbeatAt { get; set; }

    public SinkLoad Load { get; set; } = new();

    public SinkState State { get; set; } = SinkState.SinkOnline;

    public DateTimeOffset? DrainStartedAt { get; set; }

    /// <summary>The open Pull call, if any.</summary>
    public PullConnection? Connection { get; set; }

    /// <summary>Tasks given to the sink and not yet completed, by task id.</summary>
    public Dictionary<string, BrokeredTask> Held { get; } = new(StringComparer.Ordinal);

    /// <summary>The sum of the memory of <see cref="Held"/>'s functions, MiB.</summary>
    public long HeldMemoryMb { get; set; }

    public long Completed { get; set; }

    /// <summary>Modules of the tasks the sink was given: the code it may fetch.</summary>
    public HashSet<string> Modules { get; } = new(StringComparer.Ordinal);

    public bool Pulls => PushAddress.Length == 0;

    public int Slots => (int)Math.Max(1, Capacity.Slots);

    /// <summary>The largest function memory it takes.</summary>
    public long MaxFunctionMemoryMb => Capacity.MaxFunctionMemoryMb();

    /// <summary>Whether the sink can run the function at all (runtime, mode, memory), whatever its load.</summary>
    public bool CanRun(string runtime, ExecutionMode mode, long memoryMb) => Capacity.CanRun(runtime, mode, memoryMb);

    /// <summary>Room for one more task needing <paramref name="memoryMb"/>: a free slot and the memory.</summary>
    public bool HasRoomFor(long memoryMb) => Held.Count < Slots && HeldMemoryMb + memoryMb <= Capacity.MemoryMb;

    public SinkInfo ToInfo()
    {
        var info = new SinkInfo
        {
            SinkId = Id,
            Name = Name,
            State = State,
            CredentialId = CredentialId.ToString("N"),
            Capacity = Capacity,
            Load = Load,
            PushAddress = PushAddress,
            RegisteredAt = Timestamp.FromDateTimeOffset(RegisteredAt),
            LastHeartbeatAt = Timestamp.FromDateTimeOffset(LastHeartbeatAt),
            TasksHeld = (uint)Held.Count,
            TasksCompleted = (ulong)Completed,
        };
        foreach (var (key, value) in Labels)
        {
            info.Labels[key] = value;
        }

        return info;
    }
}

/// <summary>One open Pull call: the tasks written for it, in order.</summary>
internal sealed class PullConnection
{
    private readonly Channel<SinkTask> tasks = Channel.CreateUnbounded<SinkTask>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<SinkTask> Reader => tasks.Reader;

    public void Write(SinkTask task) => tasks.Writer.TryWrite(task);

    /// <summary>Ends the Pull call (after what was written).</summary>
    public void Close() => tasks.Writer.TryComplete();
}
