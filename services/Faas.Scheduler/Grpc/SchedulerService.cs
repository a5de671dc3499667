using System.Globalization;
using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Jobs;
using Faas.Scheduler.Queues;
using Grpc.Core;

namespace Faas.Scheduler.Grpc;

/// <summary>gRPC adapter of the dispatcher, and the one place scheduler errors become status codes.</summary>
public sealed class SchedulerService(Dispatcher dispatcher) : Protos.V1.Scheduler.SchedulerBase
{
    public override async Task<DispatchResponse> Dispatch(DispatchRequest request, ServerCallContext context)
    {
        if (request.Function is null || string.IsNullOrEmpty(request.Function.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A dispatch needs a function with a module."));
        }

        var traceId = context.RequestHeaders.GetValue("x-trace-id") ?? System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "";
        try
        {
            return await dispatcher.DispatchAsync(request.ExecutionId, traceId, request.Function, request.Payload, context.CancellationToken).ConfigureAwait(false);
        }
        catch (QueueFullException ex)
        {
            var trailers = new Metadata { { "retry-after", ((int)ex.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture) } };
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message), trailers);
        }
        catch (NoWorkerAvailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (NoSinkCanRunException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (WorkerFailedException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (JobLauncherUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
    }
}
