using Faas.Scheduler.Sinks;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>A membership the test sets itself, of sinks whose clients are fakes.</summary>
internal sealed class FakeSinkView : ISinkView
{
    private readonly List<Sink> members = [];

    public IReadOnlyList<Sink> Sinks
    {
        get
        {
            lock (members)
            {
                return [.. members];
            }
        }
    }

    public bool IsReady { get; set; } = true;

    /// <summary>The timeout of the last wait for the first membership, if any.</summary>
    public TimeSpan? WaitedFor { get; private set; }

    public void Add(Sink sink)
    {
        lock (members)
        {
            members.Add(sink);
        }
    }

    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        WaitedFor = timeout;
        return Task.CompletedTask;
    }
}
