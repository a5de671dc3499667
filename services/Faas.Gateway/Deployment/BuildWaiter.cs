using System.Collections.Concurrent;
using Faas.Queues;
using Faas.Storage.Model;
using Faas.Storage.Postgres;

namespace Faas.Gateway.Deployment;

/// <summary>
/// Lets a deploy wait for its build: woken by the compiler's "function changed" notification, with a slow
/// re-read of the version as a safety net for a notification lost on the way.
/// </summary>
public sealed class BuildWaiter(FunctionStore functions, FunctionChangeNotifier notifier) : IHostedService
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(Guid, string), TaskCompletionSource> changes = new();

    /// <summary>The version once it is no longer BUILDING, or as it is when <paramref name="timeout"/> has passed.</summary>
    public async Task<FunctionVersion?> WaitAsync(Guid tenantId, string name, int version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            // Taken before reading, so a change in between is not missed.
            var changed = changes.GetOrAdd((tenantId, name), _ => NewSignal()).Task;
            var current = await functions.GetVersionAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false);
            if (current is null || current.State != VersionState.Building || deadline.IsCancellationRequested)
            {
                return current;
            }

            try
            {
                await changed.WaitAsync(SafetyNet, deadline.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => notifier.SubscribeAsync(Signal);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Signal(Guid tenantId, string name)
    {
        if (changes.TryRemove((tenantId, name), out var signal))
        {
            signal.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
