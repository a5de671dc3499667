using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.ServiceDefaults.ServiceIdentity;
using Faas.Sinks.Client;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// The scheduler's one membership view: every sink the sink manager reports (built-in workers and external sinks alike),
/// with a client for each sink work is pushed to, signed with this service's token. Each registration has a channel of its
/// own: a worker that restarts on the same address registers anew and is called on a fresh connection at once, not on
/// the old one's channel, which learned while the worker was down to wait longer and longer between attempts to connect.
/// </summary>
public sealed partial class SinkView(
    ServiceTokens tokens, ILogger<SinkView> logger, TimeProvider? timeProvider = null, IOptions<MultiplexingOptions>? linkOptions = null) : ISinkView, IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<Sink, GrpcChannel> channels = [];
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Sink[] sinks = [];

    public IReadOnlyList<Sink> Sinks => sinks;

    /// <summary>Tasks waiting at the sink manager for a sink that pulls, by runtime.</summary>
    public IReadOnlyDictionary<string, uint> PendingPullTasks { get; private set; } = new Dictionary<string, uint>();

    /// <summary>Whether a membership arrived yet.</summary>
    public bool IsReady => ready.Task.IsCompleted;

    /// <summary>Waits (up to <paramref name="timeout"/>) for the first membership.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await ready.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Placement then says plainly that no sink is known.
        }
    }

    public void Apply(SinkMembership membership)
    {
        lock (gate)
        {
            var current = sinks.ToDictionary(s => s.Id, StringComparer.Ordinal);
            var next = new List<Sink>(membership.Sinks.Count);
            foreach (var info in membership.Sinks)
            {
                if (current.Remove(info.SinkId, out var sink) && sink.PushAddress == info.PushAddress)
                {
                    if (sink.State != info.State)
                    {
                        LogStateChanged(logger, sink.Name, sink.State, info.State);
                    }

                    sink.Update(info);
                }
                else
                {
                    if (sink is not null)
                    {
                        // The same sink at a new address (a restarted worker on another port): its old link goes with the old address.
                        Retire(sink);
                    }

                    sink = Join(info);
                    LogJoined(logger, info.Name, info.PushAddress.Length == 0 ? "pull" : info.PushAddress, info.State);
                }

                next.Add(sink);
            }

            foreach (var gone in current.Values)
            {
                Retire(gone);
                LogLeft(logger, gone.Name);
            }

            sinks = [.. next];
            PendingPullTasks = new Dictionary<string, uint>(membership.PendingTasks);
        }

        ready.TrySetResult();
    }

    /// <summary>A sink new to the view; one that takes pushed work gets a channel of its own.</summary>
    private Sink Join(SinkInfo info)
    {
        if (info.PushAddress.Length == 0)
        {
            return new Sink(info, null, timeProvider, linkOptions?.Value);
        }

        var channel = SinkChannels.For(info.PushAddress, tokens);
        var sink = new Sink(info, new Protos.V1.PushedSink.PushedSinkClient(channel), timeProvider, linkOptions?.Value);
        channels[sink] = channel;
        return sink;
    }

    /// <summary>A sink that left or moved: its calls hear it is lost, and its link and channel close.</summary>
    private void Retire(Sink sink)
    {
        sink.MarkLost();
        sink.Link?.Dispose();
        if (channels.Remove(sink, out var channel))
        {
            channel.Dispose();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var sink in sinks)
            {
                sink.Link?.Dispose();
            }

            foreach (var channel in channels.Values)
            {
                channel.Dispose();
            }

            channels.Clear();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Sink {Sink} joined ({Mode}), {State}")]
    private static partial void LogJoined(ILogger logger, string sink, string mode, SinkState state);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Sink {Sink}: {Old} -> {New}")]
    private static partial void LogStateChanged(ILogger logger, string sink, SinkState old, SinkState @new);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Sink {Sink} left")]
    private static partial void LogLeft(ILogger logger, string sink);
}
