using System.Diagnostics;
using Wasmtime;

namespace Faas.Wasm.Engines;

/// <summary>
/// Advances an engine's epoch at a fixed interval while functions run, so that they can be interrupted at
/// their timeout; while nothing runs it sleeps, so an idle worker costs no CPU. It runs on a dedicated
/// thread: busy functions occupy thread-pool threads, and a starved timer would let them overrun. A run
/// holds <see cref="Enter"/> from before it sets its epoch deadline until it ends.
/// </summary>
public sealed class EpochTicker : IDisposable
{
    /// <summary>Time between epoch increments, the granularity of timeouts.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly Engine engine;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;
    private readonly ManualResetEventSlim resumed = new(false);
    private int active;

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

    /// <summary>Marks a run in progress until the result is disposed: the epoch advances while any is.</summary>
    public Ticking Enter()
    {
        if (Interlocked.Increment(ref active) == 1)
        {
            resumed.Set();
        }

        return new Ticking(this);
    }

    /// <summary>
    /// Sleeps while nothing runs. While runs are in progress, keeps the epoch advanced by the number of
    /// whole intervals since the busy period began: waking up late (a busy machine always does) catches up
    /// instead of stretching every timeout, and an idle pause is never made up for in one burst.
    /// </summary>
    private void Run()
    {
        var stop = stopping.Token.WaitHandle;
        WaitHandle[] wake = [stop, resumed.WaitHandle];
        while (true)
        {
            if (Volatile.Read(ref active) == 0)
            {
                resumed.Reset();
                if (Volatile.Read(ref active) == 0 && WaitHandle.WaitAny(wake) == 0)
                {
                    return;
                }
            }

            var started = Stopwatch.GetTimestamp();
            var ticks = 0L;
            while (Volatile.Read(ref active) > 0)
            {
                if (stop.WaitOne(Interval))
                {
                    return;
                }

                var due = Stopwatch.GetElapsedTime(started).Ticks / Interval.Ticks;
                for (; ticks < due; ticks++)
                {
                    engine.IncrementEpoch();
                }
            }
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        stopping.Dispose();
        resumed.Dispose();
    }

    /// <summary>A run in progress; dispose it when the run ends.</summary>
    public readonly struct Ticking(EpochTicker ticker) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref ticker.active);
    }
}
