using Faas.AppHost.Hosting;

namespace Faas.AppHost.Postgres;

/// <summary>Stops the local PostgreSQL with a fast shutdown when the AppHost stops, rather than leaving it to a signal.</summary>
internal sealed class PostgresShutdown(PostgresServer server, ILogger log) : IServerShutdown
{
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await server.StopAsync(log, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone with its resource.
        }
    }
}
