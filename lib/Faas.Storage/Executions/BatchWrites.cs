using System.Threading.Channels;

namespace Faas.Storage.Executions;

/// <summary>How the background writers (<see cref="ExecutionRecorder"/>, <see cref="Logs.FunctionLogWriter"/>) wait for work and write a batch.</summary>
internal static class BatchWrites
{
    /// <summary>Waits for something to read; once stopping, whether anything is still buffered (it is drained).</summary>
    public static async Task<bool> WaitToReadAsync<T>(ChannelReader<T> reader, CancellationToken stoppingToken)
    {
        try
        {
            return await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return reader.Count > 0;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> until the database takes it, backing off from 100 ms, doubling, up to 5 s, and telling
    /// <paramref name="failed"/> of each failure. Once stopping it gives up after three attempts.
    /// </summary>
    /// <returns>Whether the batch was written.</returns>
    public static async Task<bool> WriteUntilTakenAsync(Func<Task> write, Action<Exception, int> failed, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write().ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                failed(ex, attempt);
                if (stoppingToken.IsCancellationRequested && attempt >= 3)
                {
                    return false;
                }

                await Task.Delay(delay, CancellationToken.None).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
            }
        }
    }
}
