using System.Globalization;

namespace Faas.Bench.Load;

/// <summary>
/// Waits for the machine to be quiet before a scenario, so that a scenario does not pay for what the one before left
/// running: after hundreds of containers, the kernel goes on tearing down their cgroups and namespaces for a while.
/// Reads the CPU counters of <c>/proc/stat</c>; elsewhere it returns at once.
/// </summary>
public static class MachineIdle
{
    /// <summary>
    /// Returns once a <paramref name="window"/> passes with the machine's CPUs busy less than <paramref name="busyBelow"/>
    /// of the time, or after <paramref name="maxWait"/>: the time it waited and the last window's busy fraction.
    /// </summary>
    public static async Task<(TimeSpan Waited, double Busy)> WaitAsync(
        TimeSpan window, double busyBelow, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        if (ReadCpu() is not { } before)
        {
            return (TimeSpan.Zero, 0);
        }

        while (true)
        {
            await Task.Delay(window, cancellationToken).ConfigureAwait(false);
            var after = ReadCpu()!.Value;
            var total = after.Total - before.Total;
            var busy = total <= 0 ? 0 : 1.0 - (double)(after.Idle - before.Idle) / total;
            var waited = DateTime.UtcNow - started;
            if (busy < busyBelow || waited >= maxWait)
            {
                return (waited, busy);
            }

            before = after;
        }
    }

    /// <summary>All CPUs' jiffies from the first line of <c>/proc/stat</c>: in total, and idle (idle and I/O wait).</summary>
    private static (long Total, long Idle)? ReadCpu()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }

        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user)
        var total = fields.Take(8).Sum();
        return (total, fields[3] + fields[4]);
    }
}
