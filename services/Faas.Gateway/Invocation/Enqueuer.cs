using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Tracing;
using Faas.Queues;
using Faas.ServiceDefaults.Destinations;
using Faas.Storage.Executions;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using ExecutionStatus = Faas.Storage.Model.ExecutionStatus;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.Invocation;

/// <summary>The result of an accepted enqueue.</summary>
public sealed record EnqueueResult(string ExecutionId, ExecutionStatus Status, bool Deduplicated);

/// <summary>
/// Asynchronous invoke: everything that can be wrong is checked here, at acceptance (unknown function,
/// no ready version, payload, callback URL, idempotency key, backlog); then the invocation goes to the
/// function's reliable queue (atomically with its idempotency key) and its QUEUED record is committed
/// before the caller hears 202. The queue message carries all the record needs, so the execution is
/// recorded even if this gateway dies between the two steps.
/// </summary>
public sealed class Enqueuer
{
    private const int MaxIdempotencyKeyLength = 255;
    private const int MaxCallbackUrlLength = 2048;

    private readonly IRunnableVersions versions;
    private readonly ReliableQueues queues;
    private readonly ExecutionJournal journal;
    private readonly ExecutionStore executions;
    private readonly TimeProvider timeProvider;
    private readonly GatewayOptions options;
    private readonly DestinationPolicy destinations;
    private readonly Counter<long> enqueued;

    public Enqueuer(
        IRunnableVersions versions, ReliableQueues queues, ExecutionJournal journal, ExecutionStore executions, TimeProvider timeProvider,
        IOptions<GatewayOptions> options, DestinationPolicy destinations, IMeterFactory meterFactory)
    {
        this.destinations = destinations;
        this.versions = versions;
        this.queues = queues;
        this.journal = journal;
        this.executions = executions;
        this.timeProvider = timeProvider;
        this.options = options.Value;
        var meter = meterFactory.Create(GatewayTelemetry.MeterName);
        enqueued = meter.CreateCounter<long>("faas.gateway.enqueues", description: "Asynchronous enqueues by function and result (accepted, deduplicated, rejected)");
    }

    public async Task<EnqueueResult> EnqueueAsync(
        Guid tenantId, string name, int version, ReadOnlyMemory<byte> payload, string? idempotencyKey, string? callbackUrl, CancellationToken cancellationToken)
    {
        if (payload.Length > options.MaxPayloadBytes)
        {
            throw new PayloadTooLargeException(payload.Length, options.MaxPayloadBytes);
        }

        idempotencyKey = string.IsNullOrEmpty(idempotencyKey) ? null : CheckIdempotencyKey(idempotencyKey);
        callbackUrl = string.IsNullOrEmpty(callbackUrl) ? null : CheckCallbackUrl(callbackUrl);

        var function = await versions.ResolveAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false);

        var createdAt = timeProvider.GetUtcNow();
        var id = Guid.CreateVersion7(createdAt);
        var traceparent = TraceContext.Current;
        var traceId = TraceContext.TraceIdOf(traceparent);
        var invocation = new AsyncInvocation
        {
            ExecutionId = id.ToString(),
            Function = FunctionSpecs.Of(function),
            Payload = UnsafeByteOperations.UnsafeWrap(payload), // serialized (copied) below, before the request ends
            CreatedAtMs = createdAt.ToUnixTimeMilliseconds(),
            TraceId = traceId,
            Traceparent = traceparent,
            MaxRetries = (uint)function.Config.MaxRetries,
            IdempotencyKey = idempotencyKey ?? "",
            CallbackUrl = callbackUrl ?? "",
            Pinned = version != 0,
        };

        var queue = queues.Get(QueueNames.Invocations(function.FunctionId));
        Faas.Queues.EnqueueResult result;
        try
        {
            result = await queue.EnqueueAsync(invocation.ExecutionId, invocation.ToByteArray(), idempotencyKey, options.IdempotencyRetention, options.MaxAsyncBacklog)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            enqueued.Add(1, Tags(name, "unavailable"));
            throw new MeshUnavailableException($"The queue server is unavailable; the invocation was not accepted: {ex.Message}", ex);
        }

        switch (result.Outcome)
        {
            case EnqueueOutcome.Duplicate:
                enqueued.Add(1, Tags(name, "deduplicated"));
                return new EnqueueResult(result.Id, await StatusOfAsync(tenantId, result.Id, cancellationToken).ConfigureAwait(false), Deduplicated: true);
            case EnqueueOutcome.BacklogFull:
                enqueued.Add(1, Tags(name, "rejected"));
                throw new CapacityExceededException(
                    $"Function '{name}' has {result.Backlog} asynchronous invocations waiting, its limit; try again later.", retryAfterSeconds: 5);
            case EnqueueOutcome.AlreadyQueued:
                throw new InvalidOperationException($"Execution id {invocation.ExecutionId} was already queued."); // a fresh UUIDv7 never is
        }

        // The message is the durable copy; its record is written off the hot path (readable at once from
        // the journal's pending transitions) and, should this gateway stop first, by its consumer.
        await journal.PostAsync(Queued(function, id, createdAt, payload.Length, traceId, idempotencyKey, callbackUrl), cancellationToken).ConfigureAwait(false);

        enqueued.Add(1, Tags(name, "accepted"));
        return new EnqueueResult(invocation.ExecutionId, ExecutionStatus.Queued, Deduplicated: false);
    }

    private static AsyncTransition Queued(
        FunctionVersion function, Guid id, DateTimeOffset createdAt, int inputBytes, string traceId, string? idempotencyKey, string? callbackUrl) =>
        new(id, function.TenantId, function.FunctionId, function.FunctionName, function.Version, ExecutionStatus.Queued, createdAt,
            inputBytes, traceId, function.Config.MaxRetries, idempotencyKey, callbackUrl);

    private async Task<ExecutionStatus> StatusOfAsync(Guid tenantId, string id, CancellationToken cancellationToken) =>
        Guid.TryParse(id, out var guid) && await executions.GetAsync(tenantId, guid, cancellationToken).ConfigureAwait(false) is { } execution
            ? execution.Status
            : ExecutionStatus.Queued; // the first enqueue has not committed its record yet

    private static string CheckIdempotencyKey(string key)
    {
        if (key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < '!' or > '~'))
        {
            throw new InvalidRequestException($"An idempotency key is 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");
        }

        return key;
    }

    /// <summary>
    /// The URL as it will be called. A literal address that may not be reached is refused here; a name is
    /// checked again, at every delivery, against what it resolves to then.
    /// </summary>
    private string CheckCallbackUrl(string url)
    {
        if (url.Length > MaxCallbackUrlLength
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new InvalidRequestException($"The callback URL must be an absolute http or https URL of at most {MaxCallbackUrlLength} characters; got '{Echo.Short(url)}'.");
        }

        if (destinations.CheckLiteral(uri) is { } refused)
        {
            throw new InvalidRequestException($"The callback URL '{Echo.Short(url)}' is refused: {refused}");
        }

        return uri.AbsoluteUri;
    }

    private static TagList Tags(string function, string result) => new() { { "function", function }, { "result", result } };

}
