using Faas.Scheduler.Workers;

namespace Faas.Scheduler.Placement;

/// <summary>
/// Picks the worker for an invocation: the lowest load score among available workers with a free slot
/// that already have the module warm; otherwise the lowest score among available workers with a free
/// slot (a cold load); otherwise the least loaded available worker, where the call waits for a slot.
/// </summary>
public sealed class PlacementPolicy(WorkerDirectory directory)
{
    /// <param name="moduleSha256">The module to run.</param>
    /// <param name="exclude">Workers already tried for this invocation.</param>
    public Worker? Choose(string moduleSha256, IReadOnlyCollection<Worker>? exclude = null)
    {
        Worker? bestWarm = null, bestFree = null, bestAny = null;
        foreach (var worker in directory.Workers)
        {
            if (!worker.IsAvailable || (exclude is not null && exclude.Contains(worker)))
            {
                continue;
            }

            var score = worker.Score;
            if (bestAny is null || score < bestAny.Score)
            {
                bestAny = worker;
            }

            if (worker.InFlight >= worker.Slots)
            {
                continue;
            }

            if (bestFree is null || score < bestFree.Score)
            {
                bestFree = worker;
            }

            if (worker.IsWarm(moduleSha256) && (bestWarm is null || score < bestWarm.Score))
            {
                bestWarm = worker;
            }
        }

        return bestWarm ?? bestFree ?? bestAny;
    }
}
