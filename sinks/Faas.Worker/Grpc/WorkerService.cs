using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Wasm.Diagnostics;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using Faas.Worker.Load;
using Faas.ServiceDefaults.Multiplexing;
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

    /// <summary>
    /// Execute, multiplexed (<see cref="MultiplexedServer"/>): every request starts a run at once (the worker's execution
    /// slots bound them, as for unary calls) and each run answers when it ends, as the unary call would have.
    /// </summary>
    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        MultiplexedServer.ServeAsync(requestStream, responseStream, context, StreamEnvelope.Instance, RunStreamedAsync, lifetime.ApplicationStopping);

    private async Task<ExecuteStreamResponse> RunStreamedAsync(ExecuteStreamRequest message, MultiplexedCall call)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = StartCallActivity(message);
        try
        {
            var execution = ExecutionMapping.ToExecutionRequest(message, secrets);
            var result = await host.ExecuteAsync(execution, call.Token).ConfigureAwait(false);
            return new ExecuteStreamResponse { CallId = message.CallId, Response = result.ToResponse(worker, Stopwatch.GetElapsedTime(started)) };
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

    /// <summary>The server span a unary call gets from ASP.NET Core, for one call on the stream: a child of the caller's span.</summary>
    private static Activity? StartCallActivity(ExecuteStreamRequest message) =>
        WasmTelemetry.ActivitySource.StartActivity(
            "faas.v1.PushedSink/ExecuteStream call", ActivityKind.Server,
            ActivityContext.TryParse(message.Traceparent, null, out var parent) ? parent : default);

    private sealed class StreamEnvelope : IServerEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly StreamEnvelope Instance = new();

        public ulong CallIdOf(ExecuteStreamRequest request) => request.CallId;

        public bool IsCancel(ExecuteStreamRequest request) => request.Cancel;

        public TimeSpan TimeoutOf(ExecuteStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

        public ExecuteStreamResponse Failed(ulong callId, RpcException error) =>
            new() { CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail, NotRun = SinkContract.NotRun(error) };
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
