using Faas.Gateway.Auth;
using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Storage.Logs;
using Faas.Storage.Postgres;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StoredStream = Faas.Storage.Logs.LogStream;

namespace Faas.Gateway.Logs;

/// <summary>
/// Reads and follows a function's log (the caller's tenant only): the lines already kept, oldest first, then, when
/// following, each batch of new lines as soon as <see cref="LogFeed"/> hears it was committed.
/// </summary>
public sealed class LogsService(FunctionLogStore store, FunctionStore functions, LogFeed feed, IOptions<LogOptions> options)
    : Protos.V1.Logs.LogsBase
{
    /// <summary>Lines a read starts with when it names no time.</summary>
    public const int DefaultTail = 100;

    /// <summary>Most lines a read may start with.</summary>
    public const int MaxTail = 10_000;

    private const int PageSize = 1_000;

    public override async Task ReadLogs(ReadLogsRequest request, IServerStreamWriter<LogEntry> responseStream, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        Guid? executionId = null;
        if (request.ExecutionId.Length > 0)
        {
            executionId = Guid.TryParse(request.ExecutionId, out var id)
                ? id
                : throw new InvalidRequestException($"'{Echo.Short(request.ExecutionId)}' is not an execution id.");
        }

        if (request.HasTail && request.Tail > MaxTail)
        {
            throw new InvalidRequestException($"tail may be at most {MaxTail} lines, not {request.Tail}; use since for more.");
        }

        var tenant = context.TenantId();
        var cancellationToken = context.CancellationToken;
        _ = await functions.GetAsync(tenant, request.Name, cancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name);

        if (request.Follow && feed.Count(tenant) >= options.Value.MaxFollowersPerTenant)
        {
            throw new CapacityExceededException(
                $"Your tenant already follows {options.Value.MaxFollowersPerTenant} logs on this gateway (Logs:MaxFollowersPerTenant); stop one first.", 5);
        }

        var query = new LogQuery(tenant, request.Name, executionId, request.Since?.ToDateTimeOffset());
        // Woken from before the first read: a line committed between that read and the wait is not missed.
        using var follower = request.Follow ? feed.Follow(tenant) : null;
        try
        {
            if (follower is not null)
            {
                // A follower may wait long for its first line: it learns at once that the stream is open (a REST client
                // gets its 200 and headers).
                await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
            }

            var after = request.Since is not null ? 0
                : await store.TailStartAsync(query, request.HasTail ? (int)request.Tail : DefaultTail, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var page = await store.ReadAsync(query, after, PageSize, cancellationToken).ConfigureAwait(false);
                foreach (var line in page)
                {
                    await responseStream.WriteAsync(ToProto(line), cancellationToken).ConfigureAwait(false);
                    after = line.Id;
                }

                if (page.Count == PageSize)
                {
                    continue;
                }

                if (follower is null)
                {
                    return;
                }

                await follower.WaitAsync(options.Value.FollowPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The follower went away: the stream just ends.
        }
    }

    private static LogEntry ToProto(StoredLogLine line) => new()
    {
        Time = Timestamp.FromDateTimeOffset(line.Time),
        ExecutionId = line.ExecutionId.ToString(),
        Function = line.FunctionName,
        Version = (uint)line.Version,
        Stream = line.Stream switch
        {
            StoredStream.Stderr => Protos.V1.LogStream.Stderr,
            StoredStream.Stdout => Protos.V1.LogStream.Stdout,
            StoredStream.Platform => Protos.V1.LogStream.Platform,
            _ => Protos.V1.LogStream.Unspecified,
        },
        Text = line.Text,
    };
}
