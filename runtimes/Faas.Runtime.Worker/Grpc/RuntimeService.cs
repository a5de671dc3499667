using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Runtime.Execution;
using Faas.Runtime.Modules;
using Faas.Runtime.Options;
using Faas.Runtime.Worker.Load;
using Faas.Storage.Secrets;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Runtime.Worker.Grpc;

/// <summary>faas.v1.Runtime: adapts calls to <see cref="FunctionHost"/> and reports the worker's status.</summary>
public sealed class RuntimeService(
    FunctionHost host, ExecutionSlots slots, ModuleCache modules, ProcessLoadMonitor load, FunctionSecrets secrets, IOptions<RuntimeOptions> options)
    : Protos.V1.Runtime.RuntimeBase
{
    private readonly string worker = options.Value.WorkerId;

    public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        ExecutionRequest execution;
        try
        {
            execution = request.ToExecutionRequest(context.RequestHeaders, secrets);
        }
        catch (SecretsUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }

        ExecutionResult result;
        try
        {
            result = await host.ExecuteAsync(execution, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (RpcErrors.From(exception, context) is { } rpcException)
        {
            throw rpcException;
        }

        return result.ToResponse(worker, Stopwatch.GetElapsedTime(started));
    }

    public override async Task<PrewarmResponse> Prewarm(PrewarmRequest request, ServerCallContext context)
    {
        try
        {
            var lookup = await modules.GetAsync(request.ModuleSha256, context.CancellationToken).ConfigureAwait(false);
            return new PrewarmResponse { Loaded = lookup.Cold };
        }
        catch (Exception exception) when (RpcErrors.From(exception, context) is { } rpcException)
        {
            throw rpcException;
        }
    }

    public override Task<UnloadResponse> Unload(UnloadRequest request, ServerCallContext context)
    {
        var unloaded = 0u;
        foreach (var module in request.ModuleSha256)
        {
            if (modules.Unload(module))
            {
                unloaded++;
            }
        }

        return Task.FromResult(new UnloadResponse { Unloaded = unloaded });
    }

    public override Task<WorkerStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new WorkerStatus
        {
            Worker = worker,
            Slots = (uint)slots.Capacity,
            InFlight = (uint)slots.InFlight,
            Cpu = load.Cpu,
            MemoryBytes = (ulong)load.MemoryBytes,
            WarmModules = { modules.WarmModules },
        });
}
