using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Runtime.Diagnostics;
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
    FunctionHost host, ExecutionSlots slots, ModuleCache modules, ProcessLoadMonitor load, FunctionSecrets secrets, IOptions<RuntimeOptions> options,
    IHostApplicationLifetime lifetime)
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

    /// <summary>
    /// Execute, multiplexed: every request starts a run at once (the worker's execution slots bound them, as for unary
    /// calls), each run writes its result when it ends, and a cancel message or the stream's end stops the runs still going.
    /// The stream ends when the caller completes its side and every run has answered.
    /// </summary>
    public override async Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context)
    {
        using var session = new ExecuteStreamSession(responseStream, context.CancellationToken);
        // A worker shutting down takes no new calls from the stream (its caller opens a new one, elsewhere) and ends it
        // once the calls it took have answered, instead of holding the shutdown until the stream is cut.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            while (await NextAsync(requestStream, reading.Token).ConfigureAwait(false))
            {
                var message = requestStream.Current;
                if (message.Cancel)
                {
                    session.Cancel(message.CallId);
                    continue;
                }

                if (session.Begin(message.CallId, message.TimeoutMs) is { } call)
                {
                    _ = RunStreamedAsync(message, call, session);
                }
            }
        }
        finally
        {
            // Runs still going answer before the stream ends (or are cancelled with it if the caller went away).
            await session.DrainAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> NextAsync(IAsyncStreamReader<ExecuteStreamRequest> requestStream, CancellationToken reading)
    {
        try
        {
            return await requestStream.MoveNext(reading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RunStreamedAsync(ExecuteStreamRequest message, ExecuteStreamSession.Call call, ExecuteStreamSession session)
    {
        await Task.Yield(); // the reading loop goes on to the next request at once
        var response = new ExecuteStreamResponse { CallId = message.CallId };
        var started = Stopwatch.GetTimestamp();
        using (var activity = StartCallActivity(message))
        {
            try
            {
                var execution = ExecutionMapping.ToExecutionRequest(message, secrets);
                var result = await host.ExecuteAsync(execution, call.Token).ConfigureAwait(false);
                response.Response = result.ToResponse(worker, Stopwatch.GetElapsedTime(started));
            }
            catch (SecretsUnavailableException e)
            {
                SetStatus(response, new Status(StatusCode.FailedPrecondition, e.Message));
            }
            catch (RpcException e)
            {
                SetStatus(response, e.Status);
            }
            catch (Exception exception) when (RpcErrors.From(exception, call.Token, () => call.DeadlinePassed) is { } rpcException)
            {
                SetStatus(response, rpcException.Status);
            }
            catch (Exception exception)
            {
                // What a unary handler's unhandled exception becomes.
                SetStatus(response, new Status(StatusCode.Unknown, $"Exception was thrown by handler: {exception.GetType().Name}: {exception.Message}"));
            }

            activity?.SetTag("rpc.grpc.status_code", response.StatusCode);
        }

        await session.CompleteAsync(call, response).ConfigureAwait(false);
    }

    private static void SetStatus(ExecuteStreamResponse response, Status status)
    {
        response.StatusCode = (int)status.StatusCode;
        response.StatusDetail = status.Detail;
    }

    /// <summary>The server span a unary call gets from ASP.NET Core, for one call on the stream: a child of the caller's span.</summary>
    private static Activity? StartCallActivity(ExecuteStreamRequest message) =>
        RuntimeTelemetry.ActivitySource.StartActivity(
            "faas.v1.Runtime/ExecuteStream call", ActivityKind.Server,
            ActivityContext.TryParse(message.Traceparent, null, out var parent) ? parent : default);

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
