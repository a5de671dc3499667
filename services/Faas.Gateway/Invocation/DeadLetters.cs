using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Queues;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation;

/// <summary>Dead letters and queue depths of a function's asynchronous invocations.</summary>
public sealed partial class DeadLetters(
    FunctionStore functions, RunnableVersions versions, AsyncExecutionStore store, ReliableQueues queues,
    IOptions<GatewayOptions> options, ILogger<DeadLetters> logger)
{
    public async Task<Page<Faas.Storage.Model.Execution>> ListAsync(Guid tenantId, string name, int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        var function = await FunctionAsync(tenantId, name, cancellationToken).ConfigureAwait(false);
        return await store.ListDeadLettersAsync(tenantId, function.Id, pageSize, pageToken, cancellationToken).ConfigureAwait(false);
    }

    public async Task<QueueStats> GetStatsAsync(Guid tenantId, string name, CancellationToken cancellationToken)
    {
        var function = await FunctionAsync(tenantId, name, cancellationToken).ConfigureAwait(false);
        var counts = await queues.Get(QueueNames.Invocations(function.Id)).CountAsync().ConfigureAwait(false);
        var dead = await store.CountDeadLettersAsync(tenantId, function.Id, cancellationToken).ConfigureAwait(false);
        return new QueueStats
        {
            Function = name,
            Queued = (ulong)counts.Ready,
            Delayed = (ulong)counts.Delayed,
            Running = (ulong)counts.Leased,
            DeadLettered = (ulong)dead,
        };
    }

    /// <summary>
    /// Queues dead letters again with a fresh retry budget: marked in PostgreSQL, enqueued (idempotent by
    /// execution id), then removed. A redrive interrupted between those steps is finished by the next one.
    /// </summary>
    public async Task<IReadOnlyList<string>> RedriveAsync(Guid tenantId, string name, IReadOnlyCollection<string> executionIds, CancellationToken cancellationToken)
    {
        if (executionIds.Count > options.Value.MaxRedriveBatch)
        {
            throw new InvalidRequestException(
                $"One redrive takes at most {options.Value.MaxRedriveBatch} execution ids (Gateway:MaxRedriveBatch), not {executionIds.Count}.");
        }

        var ids = executionIds.Count == 0 ? null : executionIds.Select(ParseId).ToArray();
        var function = await FunctionAsync(tenantId, name, cancellationToken).ConfigureAwait(false);
        var latest = await versions.ResolveAsync(tenantId, name, 0, cancellationToken).ConfigureAwait(false);

        var letters = await store.BeginRedriveAsync(tenantId, function.Id, ids, options.Value.MaxRedriveBatch, cancellationToken).ConfigureAwait(false);
        var queue = queues.Get(QueueNames.Invocations(function.Id));
        var latestSpec = FunctionSpecs.Of(latest);
        foreach (var letter in letters)
        {
            var invocation = AsyncInvocation.Parser.ParseFrom(letter.Message);
            if (!invocation.Pinned)
            {
                invocation.Function = latestSpec;
                invocation.MaxRetries = (uint)latest.Config.MaxRetries;
            }

            invocation.AttemptOffset = (uint)letter.Attempts;
            await queue.EnqueueAsync(invocation.ExecutionId, invocation.ToByteArray()).ConfigureAwait(false);
        }

        var redriven = letters.Select(l => l.ExecutionId).ToArray();
        await store.CompleteRedriveAsync(redriven, cancellationToken).ConfigureAwait(false);
        LogRedriven(logger, redriven.Length, name);
        return redriven.Select(id => id.ToString()).ToArray();
    }

    private async Task<FunctionSummary> FunctionAsync(Guid tenantId, string name, CancellationToken cancellationToken)
    {
        Deployment.DeployValidator.ValidateName(name);
        return await functions.GetAsync(tenantId, name, cancellationToken).ConfigureAwait(false) ?? throw new FunctionNotFoundException(name);
    }

    private static Guid ParseId(string id) =>
        Guid.TryParse(id, out var guid) ? guid : throw new InvalidRequestException($"'{Echo.Short(id)}' is not an execution id.");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Re-drove {Count} dead letters of function {Function}")]
    private static partial void LogRedriven(ILogger logger, int count, string function);
}
