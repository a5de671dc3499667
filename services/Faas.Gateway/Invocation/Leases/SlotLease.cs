using System.Diagnostics;
using Faas.Protos.V1;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// One slot lease the scheduler granted this gateway: the right to run calls of one function version on one sink, one at
/// a time. Kept between calls (<see cref="SlotLeases"/>); void once revoked (its sink was lost) or once the stream it
/// came on ended.
/// </summary>
public sealed class SlotLease
{
    private readonly CancellationTokenSource revoked = new();
    private long idleSince;

    internal SlotLease(LeaseStream stream, LeaseKey key, LeaseGrant grant)
    {
        Stream = stream;
        Key = key;
        Id = grant.LeaseId;
        SinkId = grant.SinkId;
        SinkName = grant.SinkName;
        PushAddress = grant.PushAddress;
    }

    internal LeaseStream Stream { get; }

    internal LeaseKey Key { get; }

    public ulong Id { get; }

    public string SinkId { get; }

    public string SinkName { get; }

    public string PushAddress { get; }

    /// <summary>Fires when the scheduler revokes the lease: its sink was lost, and a call running on it will not get a result.</summary>
    public CancellationToken Revoked => revoked.Token;

    public bool IsRevoked => revoked.IsCancellationRequested;

    /// <summary>Whether a call may start on it: not revoked, and its stream still up.</summary>
    public bool IsValid => !revoked.IsCancellationRequested && Stream.IsAlive;

    /// <summary>Whether the last call on it found the module loaded (or loaded it).</summary>
    internal bool ModuleLoaded { get; set; }

    internal long IdleSince => Volatile.Read(ref idleSince);

    internal void MarkIdle() => Volatile.Write(ref idleSince, Stopwatch.GetTimestamp());

    internal void Revoke()
    {
        try
        {
            revoked.Cancel();
        }
        catch (AggregateException)
        {
            // A call's cancellation callback failed; the call sees its own error.
        }
    }
}

/// <summary>What a lease is for: one version of one function.</summary>
internal readonly record struct LeaseKey(string TenantId, string Name, uint Version, string ModuleSha256)
{
    public static LeaseKey Of(FunctionSpec function) => new(function.TenantId, function.Name, function.Version, function.ModuleSha256);
}
