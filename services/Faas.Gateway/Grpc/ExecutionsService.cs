using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Storage.Executions;
using Faas.Storage.Postgres;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Grpc;

public sealed class ExecutionsService(
    ExecutionStore executions, ExecutionRecorder recorder, ExecutionJournal journal, FunctionStore functions, IOptions<GatewayOptions> options)
    : Protos.V1.Executions.ExecutionsBase
{
    public override async Task<Protos.V1.Execution> GetExecution(GetExecutionRequest request, ServerCallContext context)
    {
        if (!Guid.TryParse(request.Id, out var id))
        {
            throw new InvalidRequestException($"'{Echo.Short(request.Id)}' is not an execution id.");
        }

        // A record just handed to the recorder or the journal may not be in the database yet.
        if (recorder.TryGetPending(id, out var pending) && pending.TenantId == context.TenantId())
        {
            return ProtoMapping.ToProto(pending);
        }

        // An asynchronous execution's consumer may have committed a newer state than the gateway's posted QUEUED, so the
        // database wins. The posted transition is looked up before the read: its commit may land (and leave the pending
        // set) while the read runs, and then the read finds it.
        var posted = journal.TryGetPending(id, out var transition) && transition.TenantId == context.TenantId() ? transition : null;
        var execution = await executions.GetAsync(context.TenantId(), id, context.CancellationToken).ConfigureAwait(false)
            ?? posted?.ToExecution();

        return ProtoMapping.ToProto(execution ?? throw new ExecutionNotFoundException(id.ToString()));
    }

    public override async Task<Google.Api.HttpBody> GetExecutionOutput(GetExecutionRequest request, ServerCallContext context)
    {
        if (!Guid.TryParse(request.Id, out var id))
        {
            throw new InvalidRequestException($"'{Echo.Short(request.Id)}' is not an execution id.");
        }

        var output = await executions.GetOutputAsync(context.TenantId(), id, context.CancellationToken).ConfigureAwait(false)
            ?? throw new ExecutionNotFoundException(id.ToString(), "has no stored output (not finished, failed, or synchronous)");
        return new Google.Api.HttpBody { ContentType = "application/octet-stream", Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(output) };
    }

    public override async Task<ListExecutionsResponse> ListExecutions(ListExecutionsRequest request, ServerCallContext context)
    {
        Guid? functionId = null;
        if (!string.IsNullOrEmpty(request.Function))
        {
            Deployment.DeployValidator.ValidateName(request.Function);
            var function = await functions.GetAsync(context.TenantId(), request.Function, context.CancellationToken).ConfigureAwait(false)
                ?? throw new FunctionNotFoundException(request.Function);
            functionId = function.Id;
        }

        var page = await executions.ListAsync(
            context.TenantId(), functionId, ProtoMapping.ToDomain(request.Status), Paging.Size(request.PageSize, options.Value),
            request.PageToken, context.CancellationToken).ConfigureAwait(false);
        var (items, next) = Paging.Fit(page, ProtoMapping.ToProto, options.Value);
        var response = new ListExecutionsResponse { NextPageToken = next };
        response.Executions.Add(items);
        return response;
    }
}
