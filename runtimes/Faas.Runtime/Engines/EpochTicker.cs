using System.Diagnostics;
using Wasmtime;

namespace Faas.Runtime.Engines;

/// <summary>
/// Advances an engine's epoch at a fixed interval so that running functions can be interrupted at their
/// timeout. It runs on a dedicated thread: busy functions occupy thread-pool threads, and a starved
/// timer would let them overrun.
/// </summary>
public sealed class EpochTicker : IDisposable
{
    /// <summary>Time between epoch increments, the granularity of timeouts.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly Engine engine;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;

    public EpochTicker(Engine engine)
    {
        this.engine = engine;
        thread = new Thread(Run) { IsBackground = true, Name = "Faas epoch ticker" };
        thread.Start();
    }

    /// <summary>
    /// The epoch deadline (in ticks from now) that interrupts a run no earlier than <paramref name="timeoutMs"/>:
    /// the first tick may come at once, hence the extra one.
    /// </summary>
    public static ulong TicksFor(int timeoutMs) =>
        (ulong)Math.Ceiling(timeoutMs / Interval.TotalMilliseconds) + 1;

    /// <summary>
    /// Keeps the epoch at the number of whole intervals since the start: waking up late (a busy machine
    /// always does) catches up instead of stretching every timeout.
    /// </summary>
    private void Run()
    {
        var handle = stopping.Token.WaitHandle;
        var started = Stopwatch.GetTimestamp();
        var epoch = 0L;
        while (!handle.WaitOne(Interval))
        {
            var due = Stopwatch.GetElapsedTime(started).Ticks / Interval.Ticks;
            for (; epoch < due; epoch++)
            {
                engine.IncrementEpoch();
            }
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        stopping.Dispose();
    }
}
