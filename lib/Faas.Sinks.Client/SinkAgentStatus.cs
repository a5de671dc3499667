using Faas.Protos.V1;

namespace Faas.Sinks.Client;

/// <summary>What the agent knows about its registration, for health checks and diagnostics.</summary>
public sealed record SinkAgentStatus
{
    /// <summary>Whether the sink is registered now (it has a sink id).</summary>
    public bool Registered { get; init; }

    /// <summary>Whether the sink registered at least once since the agent started.</summary>
    public bool EverRegistered { get; init; }

    public string? SinkId { get; init; }

    /// <summary>The state the last heartbeat answered (unspecified before the first one).</summary>
    public SinkState State { get; init; }

    /// <summary>When a heartbeat last succeeded.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; init; }

    /// <summary>Whether the last heartbeat succeeded.</summary>
    public bool LastHeartbeatSucceeded { get; init; }

    /// <summary>The last failure talking to the sink manager, cleared by the next success.</summary>
    public string? LastError { get; init; }

    /// <summary>The sink manager drains the sink: it takes nothing new.</summary>
    public bool Draining => State == SinkState.SinkDraining;

    /// <summary>An administrator deleted the sink: the agent stopped for good (a restart registers again).</summary>
    public bool Deleted => State == SinkState.SinkDeleted;

    /// <summary>Tasks the sink runs now (pull mode).</summary>
    public int RunningTasks { get; init; }
}

/// <summary>The sink's state as the sink manager answered a heartbeat.</summary>
public sealed class SinkStateChangedEventArgs(SinkState previous, SinkState state) : EventArgs
{
    public SinkState Previous { get; } = previous;

    public SinkState State { get; } = state;
}
