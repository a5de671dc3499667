using Faas.Protos.V1;
using Faas.SinkManager.Membership;
using Faas.Storage.Secrets;
using Grpc.Core;

namespace Faas.SinkManager.Grpc;

/// <summary>faas.v1.SinkDirectory: the scheduler's membership feed, and its hand-off of tasks to sinks that pull.</summary>
public sealed class SinkDirectoryService(SinkRegistry registry, FunctionSecrets secrets) : SinkDirectory.SinkDirectoryBase
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    public override async Task WatchSinks(WatchSinksRequest request, IServerStreamWriter<SinkMembership> responseStream, ServerCallContext context)
    {
        var interval = request.MinIntervalMs == 0 ? DefaultInterval : TimeSpan.FromMilliseconds(Math.Min(request.MinIntervalMs, 10_000));
        try
        {
            while (!context.CancellationToken.IsCancellationRequested)
            {
                var seen = registry.Version;
                await responseStream.WriteAsync(registry.Snapshot(), context.CancellationToken).ConfigureAwait(false);
                await registry.WaitForChangeAsync(seen, context.CancellationToken).ConfigureAwait(false);
                await Task.Delay(interval, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The scheduler went away.
        }
    }

    public override async Task<ExecuteResponse> RunTask(RunSinkTaskRequest request, ServerCallContext context)
    {
        if (request.Function is null || string.IsNullOrEmpty(request.Function.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A task needs a function with a module."));
        }

        if (string.IsNullOrEmpty(request.ExecutionId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A task needs its execution id (execution_id)."));
        }

        var task = registry.Enqueue(request, Deliverable(request.Function));
        try
        {
            return await task.Result.Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!task.Result.Task.IsCompleted)
            {
                task.Result.TrySetCanceled(context.CancellationToken);
                registry.Abandon(task);
            }
        }
    }

    /// <summary>The function as a sink gets it: its secrets unsealed into its environment.</summary>
    private FunctionSpec Deliverable(FunctionSpec function)
    {
        if (string.IsNullOrEmpty(function.SealedSecrets))
        {
            return function;
        }

        IReadOnlyDictionary<string, string> plain;
        try
        {
            plain = secrets.Unseal(function.SealedSecrets);
        }
        catch (SecretsUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }

        var delivered = function.Clone();
        delivered.SealedSecrets = "";
        foreach (var (name, value) in plain)
        {
            delivered.Env[name] = value;
        }

        return delivered;
    }
}
