using Faas.Testing;

namespace Faas.Queues.Tests;

/// <summary>A real redis-server for the test class (see <see cref="RedisServer"/>).</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? server;

    public string ConnectionString => server?.ConnectionString ?? throw new InvalidOperationException("The server is not started.");

    public async Task InitializeAsync() => server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
