using System.Text.Json;

namespace Faas.Queues;

/// <summary>
/// The "builds" reliable queue between the gateway (which adds a build when a version is deployed from
/// source) and the compiler (which leases, runs and acks it). A message only names the build: its input
/// and outcome live in PostgreSQL, so a message may be lost or delivered twice without harm.
/// </summary>
public sealed class BuildQueue(ReliableQueues queues)
{
    public const string Name = "builds";

    public ReliableQueue Queue => queues.Get(Name);

    /// <summary>Queues a build; false (and nothing changes) while that build is already queued or being built.</summary>
    public Task<bool> EnqueueAsync(BuildTicket ticket) => Queue.EnqueueAsync(ticket.Id, ticket.ToBytes());
}

/// <summary>A queued build: the version to build, and the trace of the deploy that asked for it (W3C traceparent).</summary>
public sealed record BuildTicket(Guid FunctionId, int Version, string? TraceParent = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The message id: one message per version, however often it is queued.</summary>
    public string Id => $"{FunctionId:N}:{Version}";

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The ticket in a message body; null when the body is not one.</summary>
    public static BuildTicket? Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonSerializer.Deserialize<BuildTicket>(body, Json) is { FunctionId: var id, Version: > 0 } ticket && id != Guid.Empty ? ticket : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
