namespace Faas.AppHost.Resources;

/// <summary>
/// The current snapshot of every resource, in start order, with change notification so callers can
/// await a condition instead of polling on a timer.
/// </summary>
public sealed class ResourceRegistry
{
    private readonly Lock _gate = new();
    private readonly List<string> _order = [];
    private readonly Dictionary<string, ResourceSnapshot> _snapshots = [];
    private TaskCompletionSource _changed = NewSignal();

    public void Add(ResourceSnapshot snapshot)
    {
        lock (_gate)
        {
            if (!_snapshots.ContainsKey(snapshot.Name))
            {
                _order.Add(snapshot.Name);
            }

            _snapshots[snapshot.Name] = snapshot;
            SignalLocked();
        }
    }

    public ResourceSnapshot Update(string name, Func<ResourceSnapshot, ResourceSnapshot> change)
    {
        lock (_gate)
        {
            var updated = change(_snapshots[name]);
            _snapshots[name] = updated;
            SignalLocked();
            return updated;
        }
    }

    public IReadOnlyList<ResourceSnapshot> GetAll()
    {
        lock (_gate)
        {
            return [.. _order.Select(n => _snapshots[n])];
        }
    }

    public ResourceSnapshot? Find(string name)
    {
        lock (_gate)
        {
            return _snapshots.GetValueOrDefault(name);
        }
    }

    public ResourceSnapshot Get(string name) =>
        Find(name) ?? throw new KeyNotFoundException($"There is no resource '{name}'.");

    /// <summary>Completes with the first snapshot of <paramref name="name"/> that satisfies <paramref name="condition"/>.</summary>
    public async Task<ResourceSnapshot> WaitForAsync(string name, Func<ResourceSnapshot, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var snapshot = _snapshots.GetValueOrDefault(name) ?? throw new KeyNotFoundException($"There is no resource '{name}'.");
                if (condition(snapshot))
                {
                    return snapshot;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalLocked()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
