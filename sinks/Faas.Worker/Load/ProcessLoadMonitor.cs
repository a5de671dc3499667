using System.Diagnostics;

namespace Faas.Worker.Load;

/// <summary>
/// Samples the process's CPU use and memory every 500 ms and smooths them (exponential moving average), so
/// heartbeats and status report a load that placement can trust rather than the last spike.
/// </summary>
public sealed class ProcessLoadMonitor : BackgroundService
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Weight of the newest sample: about the last two seconds dominate.</summary>
    private const double Smoothing = 0.3;

    private double cpu;
    private long memoryBytes = Environment.WorkingSet;

    /// <summary>Smoothed share of the machine's CPU this process uses, 0 to 1.</summary>
    public double Cpu => Volatile.Read(ref cpu);

    /// <summary>Smoothed working set of the process, bytes.</summary>
    public long MemoryBytes => Interlocked.Read(ref memoryBytes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        var lastCpu = Environment.CpuUsage.TotalTime;
        var lastSample = Stopwatch.GetTimestamp();
        var first = true;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var cpuTime = Environment.CpuUsage.TotalTime;
                var now = Stopwatch.GetTimestamp();
                var wall = Stopwatch.GetElapsedTime(lastSample, now).TotalSeconds * Environment.ProcessorCount;
                var sample = wall > 0 ? Math.Clamp((cpuTime - lastCpu).TotalSeconds / wall, 0, 1) : 0;
                Volatile.Write(ref cpu, first ? sample : (Smoothing * sample) + ((1 - Smoothing) * cpu));
                var memory = Environment.WorkingSet;
                Interlocked.Exchange(ref memoryBytes, first ? memory : (long)((Smoothing * memory) + ((1 - Smoothing) * Interlocked.Read(ref memoryBytes))));
                (lastCpu, lastSample, first) = (cpuTime, now, false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
