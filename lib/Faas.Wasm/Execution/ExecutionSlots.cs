using Faas.Wasm.Options;
using Microsoft.Extensions.Options;

namespace Faas.Wasm.Execution;

/// <summary>How many runs this worker admits at once (<see cref="WorkerOptions.Slots"/>); the rest wait in line.</summary>
public sealed class ExecutionSlots : IDisposable
{
    private readonly SemaphoreSlim free;

    public ExecutionSlots(IOptions<WorkerOptions> options)
    {
        Capacity = options.Value.Slots;
        free = new SemaphoreSlim(Capacity, Capacity);
        // A run blocks its thread-pool thread (wasm code, a guest's sleep). Without a thread for each slot
        // on top of the usual ones, full slots would starve everything else (status, health, new calls)
        // until the pool slowly injects threads.
        ThreadPool.GetMinThreads(out var workerThreads, out var completionPortThreads);
        ThreadPool.SetMinThreads(Math.Max(workerThreads, Environment.ProcessorCount + Capacity), completionPortThreads);
    }

    public int Capacity { get; }

    public int InFlight => Capacity - free.CurrentCount;

    /// <summary>Waits for a free slot; give it back with <see cref="Release"/>.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => free.WaitAsync(cancellationToken);

    public void Release() => free.Release();

    public void Dispose() => free.Dispose();
}
