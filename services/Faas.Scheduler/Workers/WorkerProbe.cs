using Faas.Protos.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Workers;

/// <summary>Polls every worker's status (load, slots, warm modules) on a short period.</summary>
public sealed partial class WorkerProbe(WorkerDirectory directory, IOptions<SchedulerOptions> options, ILogger<WorkerProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WorkerProbeInterval);
        do
        {
            await Task.WhenAll(directory.Workers.Select(w => ProbeAsync(w, stoppingToken))).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task ProbeAsync(Worker worker, CancellationToken stoppingToken)
    {
        try
        {
            var status = await worker.Client.GetStatusAsync(new GetStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: stoppingToken).ConfigureAwait(false);
            var wasAvailable = worker.IsAvailable;
            worker.Reported(status);
            if (!wasAvailable)
            {
                LogWorkerBack(logger, worker.Name, worker.Address);
            }
        }
        catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
        {
            var wasAvailable = worker.IsAvailable;
            worker.Unreachable();
            if (wasAvailable && !worker.IsAvailable)
            {
                LogWorkerUnreachable(logger, worker.Name, worker.Address, ex.Status.Detail);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Worker {Worker} at {Address} is unreachable: {Reason}")]
    private static partial void LogWorkerUnreachable(ILogger logger, string worker, Uri address, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Worker {Worker} at {Address} is reachable again")]
    private static partial void LogWorkerBack(ILogger logger, string worker, Uri address);
}
