using Faas.Protos.V1;
using Faas.Scheduler.Sinks;

namespace Faas.Scheduler.WarmPool;

public enum WarmActionKind
{
    Prewarm,
    Unload,
}

/// <summary>One step of the warm pool: load a module on a sink ahead of its calls, or drop it from one.</summary>
/// <param name="Reason"><c>min_warm</c>, <c>demand</c> (prewarm); <c>idle</c>, <c>max_warm</c> (unload).</param>
/// <param name="MaxWarm">For a prewarm, the most sinks the module may be warm on (0: no limit), checked again when it is claimed.</param>
public sealed record WarmAction(WarmActionKind Kind, Sink Sink, string ModuleSha256, string Reason, int MaxWarm = 0);

/// <summary>
/// Decides what the warm pool does next, from the functions it looks after and the sinks it controls (online sinks work
/// is pushed to that answer Prewarm and Unload). Pure: the same view gives the same plan.
/// <list type="bullet">
/// <item>Scale up: a function wants its module warm on <c>minWarm</c> sinks, and on as many more as its demand (calls
/// waiting and running) fills, counting the slots of the sinks already warm; never more than <c>maxWarm</c> or than the
/// sinks that can run it. The missing ones are prewarmed on the least loaded sinks that can run it.</item>
/// <item>Scale down: a module no call has run on a sink for the idle timeout is unloaded there, the longest idle first,
/// as long as enough sinks stay warm for the largest <c>minWarm</c> among the functions running it (0 for a module no
/// function runs any more: it goes everywhere, the function scales to zero). Beyond <c>maxWarm</c>, idle or not, modules
/// with no call running are unloaded down to it. A module with a call running is never unloaded.</item>
/// </list>
/// </summary>
public static class WarmPoolPlanner
{
    public static IReadOnlyList<WarmAction> Plan(IReadOnlyCollection<WarmTarget> targets, IReadOnlyList<Sink> sinks, TimeSpan idleTimeout)
    {
        var pool = sinks.Where(s => s.IsOnline && !s.Pulls && s.ControlsWarmPool).ToList();
        var actions = new List<WarmAction>();
        if (pool.Count == 0)
        {
            return actions;
        }

        // What each module must keep, over every function that runs it.
        var keep = new Dictionary<string, int>(StringComparer.Ordinal);
        var cap = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            keep[target.ModuleSha256] = Math.Max(keep.GetValueOrDefault(target.ModuleSha256), target.MinWarm);
            // A module several functions run is capped only when all of them cap it, at the largest of their caps.
            cap[target.ModuleSha256] = cap.TryGetValue(target.ModuleSha256, out var known) && (known == 0 || target.MaxWarm == 0)
                ? 0
                : Math.Max(known, target.MaxWarm);
        }

        var prewarming = new HashSet<(Sink, string)>();
        foreach (var target in targets.OrderBy(t => t.Function, StringComparer.Ordinal))
        {
            var eligible = pool.Where(s => s.CanRun(target.Runtime, ExecutionMode.Warm, target.MemoryMb)).ToList();
            var warm = eligible.Where(s => s.IsWarm(target.ModuleSha256) || prewarming.Contains((s, target.ModuleSha256))).ToList();
            var cold = eligible.Except(warm).OrderBy(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
            var wanted = Math.Max(target.MinWarm, SinksForDemand(target.Demand, warm, cold));
            if (target.MaxWarm > 0)
            {
                wanted = Math.Min(wanted, target.MaxWarm);
            }

            wanted = Math.Min(wanted, eligible.Count);
            for (var i = 0; warm.Count + i < wanted; i++)
            {
                var reason = warm.Count + i < target.MinWarm ? "min_warm" : "demand";
                actions.Add(new WarmAction(WarmActionKind.Prewarm, cold[i], target.ModuleSha256, reason, cap.GetValueOrDefault(target.ModuleSha256)));
                prewarming.Add((cold[i], target.ModuleSha256));
            }
        }

        var warmCount = new Dictionary<string, int>(StringComparer.Ordinal);
        var idle = new List<(Sink Sink, WarmModuleState Module)>();
        foreach (var sink in pool)
        {
            foreach (var module in sink.WarmModules)
            {
                warmCount[module.ModuleSha256] = warmCount.GetValueOrDefault(module.ModuleSha256) + 1;
                if (module.Running == 0)
                {
                    idle.Add((sink, module));
                }
            }
        }

        foreach (var (sink, module) in idle.OrderByDescending(m => m.Module.Idle).ThenBy(m => m.Sink.Name, StringComparer.Ordinal))
        {
            var sha256 = module.ModuleSha256;
            var count = warmCount[sha256];
            var limit = cap.GetValueOrDefault(sha256);
            var overCap = limit > 0 && count > limit;
            if (count > keep.GetValueOrDefault(sha256) && (overCap || module.Idle >= idleTimeout))
            {
                actions.Add(new WarmAction(WarmActionKind.Unload, sink, sha256, overCap ? "max_warm" : "idle"));
                warmCount[sha256] = count - 1;
            }
        }

        return actions;
    }

    /// <summary>How many sinks the demand fills: the warm ones first, then cold ones in order, until their slots cover it.</summary>
    private static int SinksForDemand(int demand, List<Sink> warm, List<Sink> cold)
    {
        if (demand <= 0)
        {
            return 0;
        }

        var slots = warm.Sum(s => s.Slots);
        var sinks = warm.Count;
        foreach (var sink in cold)
        {
            if (slots >= demand)
            {
                break;
            }

            slots += sink.Slots;
            sinks++;
        }

        return sinks;
    }
}
