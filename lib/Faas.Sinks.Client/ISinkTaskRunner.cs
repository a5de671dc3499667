using Faas.Protos.V1;

namespace Faas.Sinks.Client;

/// <summary>
/// Runs the tasks a sink that pulls is given. A function failure is a result (an outcome other than OK);
/// an exception means the sink could not run the task, which is then released to another sink.
/// </summary>
public interface ISinkTaskRunner
{
    /// <param name="cancellationToken">Cancelled when the sink stops and the task did not finish in time.</param>
    Task<ExecuteResponse> RunAsync(SinkTask task, CancellationToken cancellationToken);
}
