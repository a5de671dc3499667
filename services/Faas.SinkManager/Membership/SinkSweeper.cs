using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Membership;

/// <summary>Runs <see cref="SinkRegistry.Sweep"/> every <see cref="SinkManagerOptions.SweepInterval"/>.</summary>
public sealed class SinkSweeper(SinkRegistry registry, IOptions<SinkManagerOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                registry.Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
