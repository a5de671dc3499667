using Microsoft.Extensions.Hosting;

namespace Faas.Storage.Tests;

/// <summary>A host that stops (running its hosted services' shutdown) and disposes at the end of a test.</summary>
public sealed class ServiceHost(IHost host) : IAsyncDisposable
{
    private bool started;

    public IServiceProvider Services => host.Services;

    public async Task StartAsync()
    {
        started = true;
        await host.StartAsync();
    }

    public async Task StopAsync()
    {
        if (started)
        {
            started = false;
            await host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }
}
