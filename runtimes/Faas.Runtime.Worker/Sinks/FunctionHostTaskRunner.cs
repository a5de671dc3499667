using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Runtime.Execution;
using Faas.Runtime.Options;
using Faas.Runtime.Worker.Grpc;
using Faas.Sinks.Client;
using Faas.Storage.Secrets;
using Microsoft.Extensions.Options;

namespace Faas.Runtime.Worker.Sinks;

/// <summary>Runs a pulled task the way faas.v1.Runtime/Execute runs a pushed call: through <see cref="FunctionHost"/>.</summary>
internal sealed class FunctionHostTaskRunner(FunctionHost host, FunctionSecrets secrets, IOptions<RuntimeOptions> options) : ISinkTaskRunner
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
