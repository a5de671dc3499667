using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Sinks;

namespace Faas.Scheduler.Placement;

/// <summary>Where an invocation goes: a sink work is pushed to, or the sink manager's queue for sinks that pull.</summary>
public readonly record struct Placement(Sink? Push)
{
    public static Placement Pull => new(null);

    public bool IsPull => Push is null;
}

/// <summary>
/// Picks where an invocation runs, among online sinks that run the function's runtime and mode and take its memory:
/// the lowest load score among pushed sinks with a free slot and room for the memory that have the module warm; else
/// the lowest score among those with room (a cold load); else a sink that pulls, when one has a free slot; else the least
/// loaded pushed sink, where the call waits for a slot; else the sink manager, which gives the task to a sink that pulls or says why no sink can run it.
/// A function whose module is already warm on <c>max_warm</c> pushed sinks is not loaded on another: when those are
/// full the call waits on the least loaded of them (or goes to a sink that pulls, which manages its own memory).
/// </summary>
public sealed class PlacementPolicy(ISinkView view)
{
    private readonly Lock coldPlacement = new();

    /// <summary>
    /// Chooses where the invocation runs and, for a pushed sink, counts the call there (<see cref="Sink.BeginCall"/>).
    /// A cold placement is chosen again and counted under a lock, so calls arriving together cannot each load the module
    /// on another sink past <c>max_warm</c>; a warm one takes no lock.
    /// </summary>
    /// <inheritdoc cref="Choose" path="/param"/>
    /// <inheritdoc cref="Choose" path="/exception"/>
    public Placement Place(FunctionSpec function, IReadOnlyCollection<Sink>? exclude = null)
    {
        var memoryMb = Math.Max(1, (long)function.MemoryMb);
        var placement = Choose(function, exclude);
        if (placement.Push is { } sink && !sink.IsWarm(function.ModuleSha256) && function.MaxWarm > 0)
        {
            lock (coldPlacement)
            {
                placement = Choose(function, exclude);
                placement.Push?.BeginCall(memoryMb, function.ModuleSha256);
                return placement;
            }
        }

        placement.Push?.BeginCall(memoryMb, function.ModuleSha256);
        return placement;
    }

    /// <summary>
    /// Claims the module on <paramref name="sink"/> for a prewarm, unless it is warm on <paramref name="maxWarm"/> pushed
    /// sinks already: under the lock cold placements take, so a prewarm and a call arriving together cannot each add a
    /// sink past <c>max_warm</c>.
    /// </summary>
    public bool TryClaimForPrewarm(Sink sink, string moduleSha256, int maxWarm)
    {
        lock (coldPlacement)
        {
            if (maxWarm > 0 && !sink.IsWarm(moduleSha256)
                && view.Sinks.Count(s => s.IsOnline && !s.Pulls && s.IsWarm(moduleSha256)) >= maxWarm)
            {
                return false;
            }

            sink.ClaimWarm(moduleSha256);
            return true;
        }
    }

    /// <param name="function">The function to run.</param>
    /// <param name="exclude">Sinks already tried for this invocation.</param>
    /// <exception cref="NoWorkerAvailableException">Every pushed sink that could run it was tried and could not be reached.</exception>
    public Placement Choose(FunctionSpec function, IReadOnlyCollection<Sink>? exclude = null)
    {
        var runtime = function.RuntimeName();
        var memoryMb = Math.Max(1, (long)function.MemoryMb);
        Sink? bestWarm = null, bestFree = null, bestAny = null, bestWarmAny = null;
        var warmSinks = 0;
        var pullFree = false;
        foreach (var sink in view.Sinks)
        {
            if (!sink.IsOnline)
            {
                continue;
            }

            if (!sink.CanRun(runtime, function.Mode, memoryMb))
            {
                continue;
            }

            if (sink.Pulls)
            {
                pullFree |= sink.InFlight < sink.Slots;
                continue;
            }

            if (exclude is not null && exclude.Contains(sink))
            {
                continue;
            }

            var score = sink.Score;
            if (bestAny is null || score < bestAny.Score)
            {
                bestAny = sink;
            }

            var warm = sink.IsWarm(function.ModuleSha256);
            if (warm)
            {
                warmSinks++;
                if (bestWarmAny is null || score < bestWarmAny.Score)
                {
                    bestWarmAny = sink;
                }
            }

            if (!sink.HasRoomFor(memoryMb))
            {
                continue;
            }

            if (bestFree is null || score < bestFree.Score)
            {
                bestFree = sink;
            }

            if (warm && (bestWarm is null || score < bestWarm.Score))
            {
                bestWarm = sink;
            }
        }

        var atMaxWarm = function.MaxWarm > 0 && warmSinks >= function.MaxWarm;
        if ((bestWarm ?? (atMaxWarm ? null : bestFree)) is { } free)
        {
            return new Placement(free);
        }

        if (pullFree)
        {
            return Placement.Pull;
        }

        if (atMaxWarm)
        {
            return new Placement(bestWarmAny);
        }

        if (bestAny is not null)
        {
            return new Placement(bestAny);
        }

        if (exclude is { Count: > 0 } && view.Sinks.Any(s => s.IsOnline && !s.Pulls && s.CanRun(runtime, function.Mode, memoryMb)))
        {
            throw new NoWorkerAvailableException($"No sink that runs '{runtime}' could be reached.");
        }

        // Sinks that pull, or none at all as far as this view knows (a sink may have joined a moment ago): the sink
        // manager holds the authoritative membership, places the task or says why no sink can run it.
        return Placement.Pull;
    }
}
