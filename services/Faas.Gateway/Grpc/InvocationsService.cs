using Faas.Gateway.Http;
using Faas.Gateway.Invocation;
using Faas.Protos.V1;
using Faas.Gateway.Auth;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Grpc;

public sealed class InvocationsService(
    Invoker invoker, Enqueuer enqueuer, DeadLetters deadLetters, InvocationRateLimiter rateLimiter, IOptions<GatewayOptions> options)
    : Invocations.InvocationsBase
{
    private const string OutputContentType = "application/octet-stream";
    private const string IdempotencyKeyHeader = "Idempotency-Key";

    public override async Task<HttpBody> Invoke(InvokeRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var tenantId = context.TenantId();
        await rateLimiter.AcquireAsync(tenantId, context.CancellationToken).ConfigureAwait(false);
        var payload = request.Body?.Data.Memory ?? ReadOnlyMemory<byte>.Empty;
        var result = await invoker.InvokeAsync(
            tenantId, request.Name, (int)request.Version, payload,
            id => http.Response.Headers["x-execution-id"] = id,
            context.CancellationToken).ConfigureAwait(false);
        return new HttpBody { ContentType = OutputContentType, Data = UnsafeByteOperations.UnsafeWrap(result.Output) };
    }

    public override async Task<EnqueueResponse> Enqueue(EnqueueRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var tenantId = context.TenantId();
        await rateLimiter.AcquireAsync(tenantId, context.CancellationToken).ConfigureAwait(false);
        var payload = request.Body?.Data.Memory ?? ReadOnlyMemory<byte>.Empty;
        // The header (REST) or metadata (gRPC) stands in for the field when the field is empty.
        var idempotencyKey = string.IsNullOrEmpty(request.IdempotencyKey) ? http.Request.Headers[IdempotencyKeyHeader].ToString() : request.IdempotencyKey;
        var result = await enqueuer.EnqueueAsync(
            tenantId, request.Name, (int)request.Version, payload, idempotencyKey, request.CallbackUrl, context.CancellationToken).ConfigureAwait(false);

        http.Response.Headers["x-execution-id"] = result.ExecutionId;
        if (HttpStatusOverride.IsTranscoded(http))
        {
            HttpStatusOverride.Set(http, StatusCodes.Status202Accepted);
            http.Response.Headers.Location = $"/v1/executions/{result.ExecutionId}";
        }

        return new EnqueueResponse { ExecutionId = result.ExecutionId, Status = ProtoMapping.ToProto(result.Status), Deduplicated = result.Deduplicated };
    }

    public override Task<QueueStats> GetQueueStats(GetQueueStatsRequest request, ServerCallContext context) =>
        deadLetters.GetStatsAsync(context.TenantId(), request.Name, context.CancellationToken);

    public override async Task<ListDeadLettersResponse> ListDeadLetters(ListDeadLettersRequest request, ServerCallContext context)
    {
        var page = await deadLetters.ListAsync(
            context.TenantId(), request.Name, Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken).ConfigureAwait(false);
        var (items, next) = Paging.Fit(page, ProtoMapping.ToProto, options.Value);
        var response = new ListDeadLettersResponse { NextPageToken = next };
        response.Executions.Add(items);
        return response;
    }

    public override async Task<RedriveDeadLettersResponse> RedriveDeadLetters(RedriveDeadLettersRequest request, ServerCallContext context)
    {
        var ids = await deadLetters.RedriveAsync(context.TenantId(), request.Name, request.ExecutionIds, context.CancellationToken).ConfigureAwait(false);
        var response = new RedriveDeadLettersResponse();
        response.ExecutionIds.Add(ids);
        return response;
    }
}
