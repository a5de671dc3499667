using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Wasm.Diagnostics;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using Faas.Worker.Load;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Sinks.Client;
using Faas.Storage.Secrets;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Worker.Grpc;

/// <summary>faas.v1.PushedSink: adapts calls to <see cref="FunctionHost"/> and reports the worker's status.</summary>
public sealed class WorkerService(
    FunctionHost host, ExecutionSlots slots, ModuleCache modules, ProcessLoadMonitor load, FunctionSecrets secrets, IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime)
    : Protos.V1.PushedSink.PushedSinkBase
{
    private readonly string worker = options.Value.WorkerId;

    public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        ExecutionRequest execution;
        try
        {
            execution = request.ToExecutionRequest(secrets);
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

    /// <summary>
    /// Execute, multiplexed (<see cref="MultiplexedServer"/>): every request starts a run at once (the worker's execution
    /// slots bound them, as for unary calls) and each run answers when it ends, as the unary call would have.
    /// </summary>
    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        PushedSinkStream.ServeAsync(requestStream, responseStream, context, WasmTelemetry.ActivitySource, RunStreamedAsync, lifetime.ApplicationStopping);

    private async Task<ExecuteResponse> RunStreamedAsync(ExecuteRequest request, MultiplexedCall call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var execution = request.ToExecutionRequest(secrets);
            var result = await host.ExecuteAsync(execution, call.Token).ConfigureAwait(false);
            return result.ToResponse(worker, Stopwatch.GetElapsedTime(started));
        }
        catch (SecretsUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        catch (Exception exception) when (RpcErrors.From(exception, call.Token, () => call.DeadlinePassed) is { } rpcException)
        {
            throw rpcException;
        }
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

    public override Task<SinkStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new SinkStatus
        {
            Worker = worker,
            Slots = (uint)slots.Capacity,
            InFlight = (uint)slots.InFlight,
            Cpu = load.Cpu,
            MemoryBytes = (ulong)load.MemoryBytes,
            WarmModules = { modules.WarmModules },
        });
}
