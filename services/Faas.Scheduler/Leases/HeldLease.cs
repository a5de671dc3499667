using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Sinks;

namespace Faas.Scheduler.Leases;

/// <summary>
/// One granted slot lease: the invocation's admission (quota, function slot, tenant share) and its place on a pushed
/// sink (<see cref="Sink.BeginCall"/>), held until the gateway returns it, its stream ends or its sink is lost.
/// </summary>
internal sealed class HeldLease(ulong id, FunctionSpec function, Sink sink, Admission admission)
{
    private int released;

    public ulong Id { get; } = id;

    public string TenantId => Function.TenantId;

    public string FunctionName => Function.Name;

    public FunctionSpec Function { get; } = function;

    public Sink Sink { get; } = sink;

    /// <summary>Fires the revocation when the sink is lost; disposed at release.</summary>
    public CancellationTokenRegistration OnLost { get; set; }

    /// <summary>Gives everything back; only the first call counts.</summary>
    public bool Release(bool moduleLoaded)
    {
        if (Interlocked.Exchange(ref released, 1) != 0)
        {
            return false;
        }

        OnLost.Dispose();
        Sink.EndCall(Math.Max(1, (long)Function.MemoryMb), Function.ModuleSha256, moduleLoaded);
        admission.Dispose();
        return true;
    }
}
