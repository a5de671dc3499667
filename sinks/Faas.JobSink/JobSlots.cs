using Faas.JobSink.Jobs;
using Microsoft.Extensions.Options;

namespace Faas.JobSink;

/// <summary>Invocations the sink runs at once: its launcher's <see cref="JobOptions.MaxRunning"/>, counted for its status and heartbeats.</summary>
public sealed class JobSlots(IOptions<JobOptions> options)
{
    private int inFlight;

    public int Capacity { get; } = options.Value.MaxRunning;

    public int InFlight => Volatile.Read(ref inFlight);

    public Lease Enter()
    {
        Interlocked.Increment(ref inFlight);
        return new Lease(this);
    }

    public readonly struct Lease(JobSlots slots) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref slots.inFlight);
    }
}
