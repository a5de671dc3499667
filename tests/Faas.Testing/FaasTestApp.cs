using Faas.AppHost.Hosting;
using Faas.AppHost.Model;
using Faas.AppHost.Resources;
using Faas.ServiceDefaults.ServiceIdentity;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Faas.Testing;

/// <summary>
/// A running (or startable) Faas mesh for tests. <see cref="DisposeAsync"/> stops every service,
/// PostgreSQL and Garnet, and deletes the temporary state directory.
/// </summary>
public sealed class FaasTestApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsStateDirectory;
    private readonly TimeSpan _defaultWaitTimeout;
    private bool _started;
    private bool _disposed;

    internal FaasTestApp(WebApplication app, string stateDirectory, bool ownsStateDirectory, TimeSpan defaultWaitTimeout)
    {
        _app = app;
        StateDirectory = stateDirectory;
        _ownsStateDirectory = ownsStateDirectory;
        _defaultWaitTimeout = defaultWaitTimeout;
    }

    public string StateDirectory { get; }

    /// <summary>The AppHost's services (app model, resource registry, …).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Which resources there are and how they are wired.</summary>
    public FaasAppModel Model => _app.Services.GetRequiredService<FaasAppModel>();

    /// <summary>The dashboard's address, once started.</summary>
    public Uri DashboardUri { get; private set; } = null!;

    /// <summary>A client of the dashboard, signed in with its token.</summary>
    public HttpClient CreateDashboardClient() =>
        new(BearerHandler(_app.Services.GetRequiredService<Faas.AppHost.Dashboard.DashboardAccess>().Token, new SocketsHttpHandler())) { BaseAddress = DashboardUri };

    private ResourceRegistry Registry => _app.Services.GetRequiredService<ResourceRegistry>();

    /// <summary>
    /// Starts every resource and completes when all are healthy. Throws
    /// <see cref="AppHostConfigurationException"/> for bad settings or taken ports and
    /// <see cref="Faas.AppHost.Orchestration.ResourceStartException"/> (with the resource's log tail) when one never becomes healthy.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            AppHostPreflight.Run(_app.Services);
        }
        catch (Exception e) when (AppHostPreflight.Explain(e) is { } reason && e is not AppHostConfigurationException)
        {
            throw new AppHostConfigurationException(reason);
        }

        _started = true;
        await _app.StartAsync(cancellationToken);
        var runner = _app.Services.GetRequiredService<AppHostRunner>();
        DashboardUri = await runner.Dashboard.WaitAsync(cancellationToken);
        await runner.Ready.WaitAsync(cancellationToken);
    }

    public Task<ResourceSnapshot> WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(resourceName, r => r.IsHealthy, cancellationToken);

    /// <summary>Completes with the first snapshot that satisfies <paramref name="condition"/>; throws <see cref="TimeoutException"/> after the default wait timeout.</summary>
    public async Task<ResourceSnapshot> WaitForResourceAsync(
        string resourceName, Func<ResourceSnapshot, bool> condition, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_defaultWaitTimeout);
        try
        {
            return await Registry.WaitForAsync(resourceName, condition, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Resource '{resourceName}' did not reach the expected state within {_defaultWaitTimeout.TotalSeconds:0} s; it is {Registry.Get(resourceName)}.");
        }
    }

    public ResourceSnapshot GetResource(string resourceName) => Registry.Get(resourceName);

    /// <summary>Stops a resource and starts it again, as the dashboard's restart does; completes when it is healthy.</summary>
    public async Task RestartResourceAsync(string resourceName, CancellationToken cancellationToken = default)
    {
        if (!await _app.Services.GetRequiredService<Faas.AppHost.Orchestration.Orchestrator>().RestartAsync(resourceName, cancellationToken))
        {
            throw new InvalidOperationException($"There is no started resource '{resourceName}'.");
        }
    }

    public IReadOnlyList<ResourceSnapshot> GetResources() => Registry.GetAll();

    /// <summary>An endpoint's URL, e.g. <c>GetEndpoint("gateway", "grpc")</c>.</summary>
    public Uri GetEndpoint(string resourceName, string endpointName = EndpointDefinition.Http) =>
        Model.GetEndpoint(resourceName, endpointName);

    /// <summary>A connection string by its Aspire name: <c>redis</c> or <c>faasdb</c>.</summary>
    public string GetConnectionString(string name) => Model.GetConnectionString(name);

    /// <summary>The administrator's API key the gateway wrote on first start.</summary>
    public string AdminKey => File.ReadAllText(Model.State.AdminKeyFile).Trim();

    /// <summary>
    /// An HttpClient whose base address is the resource's endpoint; for the gateway it authenticates as the
    /// administrator (see <see cref="AdminKey"/>) unless <paramref name="bearer"/> says otherwise ("" for none).
    /// </summary>
    public HttpClient CreateHttpClient(string resourceName, string endpointName = EndpointDefinition.Http, string? bearer = null) =>
        new(BearerHandler(bearer ?? (resourceName == ResourceNames.Gateway ? AdminKey : ""), new SocketsHttpHandler { MaxConnectionsPerServer = 512 }))
        {
            BaseAddress = GetEndpoint(resourceName, endpointName),
        };

    /// <summary>A gRPC channel to the gateway, authenticated as the administrator unless <paramref name="bearer"/> says otherwise ("" for none).</summary>
    public GrpcChannel CreateGatewayChannel(string? bearer = null, int maxReceiveMessageSize = 64 * 1024 * 1024)
    {
        bearer ??= AdminKey;
        var options = new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = maxReceiveMessageSize,
        };
        if (bearer.Length > 0)
        {
            // Call credentials, as gRPC clients send tokens: the channel keeps its own SocketsHttpHandler.
            var header = "Bearer " + bearer;
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", header);
                return Task.CompletedTask;
            }));
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }

        return GrpcChannel.ForAddress(GetEndpoint(ResourceNames.Gateway, EndpointDefinition.Grpc), options);
    }

    /// <summary>A gRPC channel to an internal service, carrying a service token as another Faas service would (or none).</summary>
    public GrpcChannel CreateServiceChannel(string resourceName, bool authenticated = true)
    {
        HttpMessageHandler handler = new SocketsHttpHandler();
        if (authenticated)
        {
            var tokens = new ServiceTokens(
                Options.Create(new ServiceAuthOptions { KeyFile = Model.State.ServiceKeyFile }),
                new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ApplicationName = "faas-tests" }, TimeProvider.System);
            handler = new ServiceTokenHandler(tokens) { InnerHandler = handler };
        }

        return GrpcChannel.ForAddress(GetEndpoint(resourceName, EndpointDefinition.Grpc), new GrpcChannelOptions { HttpHandler = handler });
    }

    private static HttpMessageHandler BearerHandler(string bearer, HttpMessageHandler inner) =>
        string.IsNullOrEmpty(bearer) ? inner : new BearerTokenHandler(bearer) { InnerHandler = inner };

    private sealed class BearerTokenHandler(string bearer) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            return base.SendAsync(request, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_started)
        {
            await _app.StopAsync(CancellationToken.None);
        }

        await _app.DisposeAsync();
        if (_ownsStateDirectory)
        {
            await DeleteStateDirectoryAsync();
        }
    }

    private async Task DeleteStateDirectoryAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(StateDirectory))
                {
                    Directory.Delete(StateDirectory, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 20)
            {
                // A log writer may still be closing a file.
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }
}
