namespace Faas.Scheduler.Sinks;

/// <summary>What placement and dispatch read of the membership (<see cref="SinkView"/>): the sinks, and whether the first membership arrived.</summary>
public interface ISinkView
{
    /// <summary>Every sink the sink manager last reported.</summary>
    IReadOnlyList<Sink> Sinks { get; }

    /// <summary>Whether a membership arrived yet.</summary>
    bool IsReady { get; }

    /// <summary>Waits (up to <paramref name="timeout"/>) for the first membership.</summary>
    Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
