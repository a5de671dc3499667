using Faas.Protos.V1;
using Faas.ServiceDefaults.Retries;
using Grpc.Core;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// Keeps <see cref="SinkView"/> current from the sink manager's WatchSinks stream, reconnecting with backoff. While the
/// sink manager is away the last view stands: work keeps flowing to the sinks it knew.
/// </summary>
public sealed partial class SinkWatcher(SinkDirectory.SinkDirectoryClient client, SinkView view, ILogger<SinkWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(InitialBackoff, MaxBackoff);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var call = client.WatchSinks(new WatchSinksRequest { MinIntervalMs = 50 }, cancellationToken: stoppingToken);
                var first = true;
                await foreach (var membership in call.ResponseStream.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    if (first)
                    {
                        LogConnected(logger, membership.Sinks.Count);
                        first = false;
                        backoff.Reset();
                    }

                    view.Apply(membership);
                }
            }
            catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogWatchFailed(logger, ex.Status.StatusCode, ex.Status.Detail);
            }
            catch (Exception ex) when (stoppingToken.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // Stopping: the stream ends as a cancelled call.
                return;
            }

            await Task.Delay(backoff.Next(), stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Watching the sink manager's membership ({Sinks} sinks)")]
    private static partial void LogConnected(ILogger logger, int sinks);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Lost the sink manager's membership feed ({Status}: {Detail}); keeping the last view and reconnecting")]
    private static partial void LogWatchFailed(ILogger logger, StatusCode status, string detail);
}
