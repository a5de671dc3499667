using System.Diagnostics;
using Faas.Wasm.Diagnostics;
using Faas.Wasm.Modules;
using Microsoft.Extensions.Logging;

namespace Faas.Wasm.Execution;

/// <summary>
/// A worker's way to run a function: wait for a slot, get the compiled module (loading it if cold), run it,
/// and record the run in metrics, traces and logs.
/// </summary>
public sealed class FunctionHost(ModuleCache modules, WasmExecutor executor, ExecutionSlots slots, WasmMetrics metrics, ILogger<FunctionHost> logger)
{
    /// <exception cref="ModuleNotFoundException">No module has the request's hash.</exception>
    /// <exception cref="ModuleLoadException">The module cannot be loaded.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for a slot or the module.</exception>
    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        metrics.ExecutionStarted();
        try
        {
            using var activity = WasmTelemetry.ActivitySource.StartActivity("faas.wasm.execute");
            var lookup = await modules.GetAsync(request.ModuleSha256, cancellationToken).ConfigureAwait(false);
            // Requests are served on thread-pool threads already: running here saves a hop.
            var result = executor.Execute(lookup.Module, request, cancellationToken);
            if (lookup.Cold)
            {
                result = result with { Cold = true };
            }

            metrics.ExecutionCompleted(result);
            Record(activity, request, result);
            return result;
        }
        finally
        {
            metrics.ExecutionFinished();
            slots.Release();
        }
    }

    private void Record(Activity? activity, ExecutionRequest request, ExecutionResult result)
    {
        var outcome = WasmMetrics.OutcomeName(result.Outcome);
        if (activity is not null)
        {
            activity.SetTag("faas.function", request.FunctionName);
            activity.SetTag("faas.version", request.Version);
            activity.SetTag("faas.execution_id", request.ExecutionId);
            activity.SetTag("faas.module.sha256", request.ModuleSha256);
            activity.SetTag("faas.cold", result.Cold);
            activity.SetTag("faas.outcome", outcome);
            activity.SetTag("faas.run_micros", result.RunMicros);
            if (!result.IsOk)
            {
                activity.SetStatus(ActivityStatusCode.Error, result.Error);
            }
        }

        if (result.IsOk)
        {
            Log.ExecutionCompleted(logger, request.ExecutionId, request.FunctionName, outcome, result.RunMicros);
        }
        else
        {
            Log.ExecutionFailed(logger, request.ExecutionId, request.FunctionName, outcome, result.Error);
        }
    }
}
