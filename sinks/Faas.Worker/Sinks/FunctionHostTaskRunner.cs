using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Wasm.Execution;
using Faas.Wasm.Options;
using Faas.Worker.Grpc;
using Faas.Sinks.Client;
using Faas.Storage.Secrets;
using Microsoft.Extensions.Options;

namespace Faas.Worker.Sinks;

/// <summary>Runs a pulled task the way faas.v1.PushedSink/Execute runs a pushed call: through <see cref="FunctionHost"/>.</summary>
internal sealed class FunctionHostTaskRunner(FunctionHost host, FunctionSecrets secrets, IOptions<WorkerOptions> options) : ISinkTaskRunner
{
    private readonly string worker = options.Value.WorkerId;

    public async Task<ExecuteResponse> RunAsync(SinkTask task, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var execution = task.ToExecutionRequest(secrets);
        var result = await host.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false);
        return result.ToResponse(worker, Stopwatch.GetElapsedTime(started));
    }
}
