using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Faas.AppHost.Hosting;
using Faas.ServiceDefaults.ServiceIdentity;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Faas.Testing;

/// <summary>
/// A running (or startable) Faas mesh for tests, on Aspire's <see cref="DistributedApplication"/>.
/// <see cref="DisposeAsync"/> stops every resource and deletes the temporary state directory.
/// </summary>
public sealed class FaasTestApp : IAsyncDisposable
{
    private readonly DistributedApplication _app;
    private readonly AppHostOptions _options;
    private readonly bool _ownsStateDirectory;
    private readonly TimeSpan _defaultWaitTimeout;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Text.StringBuilder> _consoleLogs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;
    private bool _started;

    internal FaasTestApp(DistributedApplication app, StateLayout state, AppHostOptions options, bool ownsStateDirectory, TimeSpan defaultWaitTimeout)
    {
        _app = app;
        State = state;
        _options = options;
        _ownsStateDirectory = ownsStateDirectory;
        _defaultWaitTimeout = defaultWaitTimeout;
    }

    /// <summary>What lives where under the state directory (key files, logs, data).</summary>
    public StateLayout State { get; }

    public string StateDirectory => State.Root;

    /// <summary>The app's services (resource notifications, commands, the model).</summary>
    public IServiceProvider Services => _app.Services;

    private ResourceNotificationService Notifications => _app.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>The app model as the AppHost declared it (resources and their annotations).</summary>
    public DistributedApplicationModel Model => _app.Services.GetRequiredService<DistributedApplicationModel>();

    /// <summary>The resources the app model starts, by name (not Aspire's own, nor those that wait for a command).</summary>
    public IReadOnlyList<string> ResourceNames =>
        [.. Model.Resources.Where(r => r is ProjectResource or ExecutableResource && !r.HasAnnotationOfType<ExplicitStartupAnnotation>()).Select(r => r.Name)];

    /// <summary>Starts every resource and completes when all are healthy (or throws <see cref="TimeoutException"/> naming those that are not).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Generous: on two cores shared with other test assemblies starting meshes of their own, a start can take minutes.
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.HealthTimeoutSeconds) + TimeSpan.FromSeconds(150));
        try
        {
            _started = true;
            await _app.StartAsync(timeout.Token);
            FollowConsoleLogs();
            await Task.WhenAll(ResourceNames.Select(name => Notifications.WaitForResourceHealthyAsync(name, timeout.Token)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The mesh did not become healthy: {string.Join(", ", GetResources().Where(r => !r.IsHealthy))}.");
        }
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
            var found = await Notifications.WaitForResourceAsync(resourceName, e => condition(ResourceSnapshot.From(e.Resource.Name, e.Snapshot)), timeout.Token);
            return ResourceSnapshot.From(found.Resource.Name, found.Snapshot);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Resource '{resourceName}' did not reach the expected state within {_defaultWaitTimeout.TotalSeconds:0} s; it is {GetResource(resourceName)}.");
        }
    }

    /// <summary>The resource as it is now: state, health, process, restarts.</summary>
    public ResourceSnapshot GetResource(string resourceName) =>
        Notifications.TryGetCurrentState(resourceName, out var current)
            ? ResourceSnapshot.From(resourceName, current.Snapshot)
            : throw new KeyNotFoundException($"There is no resource '{resourceName}'; there are {string.Join(", ", ResourceNames)}.");

    public IReadOnlyList<ResourceSnapshot> GetResources() => [.. ResourceNames.Select(GetResource)];

    /// <summary>The gateway replicas by resource name: <c>gateway</c>, then <c>gateway-1</c> … (see <see cref="FaasTestingOptions.Gateways"/>).</summary>
    public IReadOnlyList<string> Gateways =>
        _options.InfrastructureOnly ? [] : [.. Enumerable.Range(0, _options.Gateways).Select(Faas.AppHost.Hosting.ResourceNames.GatewayReplica)];

    /// <summary>The id of the process serving the resource now (it changes when the resource is started again).</summary>
    public int GetProcessId(string resourceName) =>
        GetResource(resourceName).Pid ?? throw new InvalidOperationException($"'{resourceName}' has no process.");

    /// <summary>Kills a resource's process with SIGKILL, as a crash or the kernel's out-of-memory killer would; returns its pid.</summary>
    public int Kill(string resourceName)
    {
        var pid = GetProcessId(resourceName);
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        process.Kill();
        return pid;
    }

    /// <summary>Stops a resource and starts it again, as the dashboard's Restart does; completes when it is healthy again.</summary>
    public async Task RestartResourceAsync(string resourceName, CancellationToken cancellationToken = default)
    {
        var before = GetResource(resourceName);
        var result = await _app.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(resourceName, KnownResourceCommands.RestartCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Restarting '{resourceName}' failed: {result.Message}");
        }

        await WaitForResourceAsync(resourceName, r => r.IsHealthy && r.Pid != before.Pid, cancellationToken);
    }

    /// <summary>An endpoint's URL, e.g. <c>GetEndpoint("gateway", "grpc")</c>.</summary>
    public Uri GetEndpoint(string resourceName, string endpointName = "http") => _app.GetEndpoint(resourceName, endpointName);

    /// <summary>A connection string by its Aspire name: <c>redis</c> or <c>faasdb</c>, as the services get it.</summary>
    public string GetConnectionString(string name) => name switch
    {
        Faas.AppHost.Hosting.ResourceNames.Redis => _options.RedisConnectionString is { Length: > 0 } redis
            ? redis
            : $"127.0.0.1:{GetEndpoint(Faas.AppHost.Hosting.ResourceNames.Redis, "tcp").Port}",
        Faas.AppHost.Hosting.ResourceNames.FaasDb => _options.FaasDbConnectionString is { Length: > 0 } faasdb
            ? faasdb
            : $"Host=127.0.0.1;Port={GetEndpoint(Faas.AppHost.Hosting.ResourceNames.Postgres, "tcp").Port};Username=postgres;Database={Faas.AppHost.Hosting.ResourceNames.FaasDatabaseName}",
        _ => throw new KeyNotFoundException($"There is no connection string '{name}'; there are redis and faasdb."),
    };

    /// <summary>
    /// A running service's command line, working directory and the environment its process was started with (read
    /// from the process itself), to start another process like it.
    /// </summary>
    public async Task<ServiceProcess> GetProcessAsync(string resourceName)
    {
        var pid = GetProcessId(resourceName);
        var environment = (await File.ReadAllTextAsync($"/proc/{pid}/environ"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
        var commandLine = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var workingDirectory = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName
            ?? throw new InvalidOperationException($"'{resourceName}' has no working directory.");
        return new ServiceProcess(commandLine, workingDirectory, environment);
    }

    /// <summary>The console log of a resource so far (what the dashboard's Console logs shows), as one text.</summary>
    public string GetConsoleLog(string resourceName)
    {
        var log = _consoleLogs.GetOrAdd(resourceName, _ => new System.Text.StringBuilder());
        lock (log)
        {
            return log.ToString();
        }
    }

    /// <summary>Follows every resource's console log once its processes are known (Aspire streams logs only to those who follow them, from the start).</summary>
    private void FollowConsoleLogs()
    {
        var logs = _app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var resource in Model.Resources.Where(r => ResourceNames.Contains(r.Name)))
        {
            var text = _consoleLogs.GetOrAdd(resource.Name, _ => new System.Text.StringBuilder());
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stopping.Token))
                    {
                        lock (text)
                        {
                            foreach (var line in batch)
                            {
                                text.AppendLine(line.Content);
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }

    /// <summary>The administrator's API key the gateway wrote on first start.</summary>
    public string AdminKey => File.ReadAllText(State.AdminKeyFile).Trim();

    /// <summary>
    /// An HttpClient whose base address is the resource's endpoint; for a gateway (<c>gateway</c>, <c>gateway-1</c>, …) it
    /// authenticates as the administrator (see <see cref="AdminKey"/>) unless <paramref name="bearer"/> says otherwise ("" for none).
    /// </summary>
    public HttpClient CreateHttpClient(string resourceName, string endpointName = "http", string? bearer = null) =>
        new(BearerHandler(bearer ?? (Faas.AppHost.Hosting.ResourceNames.IsGateway(resourceName) ? AdminKey : ""), new SocketsHttpHandler { MaxConnectionsPerServer = 512 }))
        {
            BaseAddress = GetEndpoint(resourceName, endpointName),
        };

    /// <summary>
    /// A gRPC channel to a gateway (<c>gateway</c> unless <paramref name="resourceName"/> names a replica such as
    /// <c>gateway-1</c>), authenticated as the administrator unless <paramref name="bearer"/> says otherwise ("" for none).
    /// </summary>
    public GrpcChannel CreateGatewayChannel(
        string? bearer = null, int maxReceiveMessageSize = 64 * 1024 * 1024, string resourceName = Faas.AppHost.Hosting.ResourceNames.Gateway)
    {
        if (!Faas.AppHost.Hosting.ResourceNames.IsGateway(resourceName))
        {
            throw new ArgumentException($"'{resourceName}' is not a gateway; there are {string.Join(", ", Gateways)}.", nameof(resourceName));
        }

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

        return GrpcChannel.ForAddress(GetEndpoint(resourceName, "grpc"), options);
    }

    /// <summary>A gRPC channel to an internal service, carrying a service token as another Faas service would (or none).</summary>
    public GrpcChannel CreateServiceChannel(string resourceName, bool authenticated = true)
    {
        HttpMessageHandler handler = new SocketsHttpHandler();
        if (authenticated)
        {
            var tokens = new ServiceTokens(
                Options.Create(new ServiceAuthOptions { KeyFile = State.ServiceKeyFile }),
                new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ApplicationName = "faas-tests" }, TimeProvider.System);
            handler = new ServiceTokenHandler(tokens) { InnerHandler = handler };
        }

        return GrpcChannel.ForAddress(GetEndpoint(resourceName, "grpc"), new GrpcChannelOptions { HttpHandler = handler });
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
        await _stopping.CancelAsync();
        if (_started)
        {
            await _app.StopAsync(CancellationToken.None);
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
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
                // A process may still be closing a file.
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }
}

/// <summary>What is known about one resource at one moment.</summary>
/// <param name="State">Aspire's state text: Starting, Running, Exited, …</param>
/// <param name="Pid">The process serving the resource.</param>
/// <param name="Restarts">How often the AppHost started it again after it died.</param>
/// <param name="Properties">What the dashboard shows of it (Aspire's properties and the AppHost's <c>faas.*</c> ones), as text.</param>
public sealed record ResourceSnapshot(string Name, string? State, bool IsHealthy, int? Pid, int Restarts, int? ExitCode, IReadOnlyDictionary<string, string> Properties)
{
    internal static ResourceSnapshot From(string name, CustomResourceSnapshot snapshot) => new(
        name,
        snapshot.State?.Text,
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus == HealthStatus.Healthy,
        Property(snapshot, "executable.pid") is { } pid ? Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture) : null,
        Property(snapshot, "faas.restarts") is { } restarts ? Convert.ToInt32(restarts, System.Globalization.CultureInfo.InvariantCulture) : 0,
        snapshot.ExitCode,
        snapshot.Properties.GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Convert.ToString(g.Last().Value, System.Globalization.CultureInfo.InvariantCulture) ?? "", StringComparer.Ordinal));

    private static object? Property(CustomResourceSnapshot snapshot, string name) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value;

    public override string ToString() => $"{Name} ({State}, {(IsHealthy ? "healthy" : "not healthy")}, pid {Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";
}

/// <summary>How a service's process was started: its command line (program first), working directory and environment.</summary>
public sealed record ServiceProcess(IReadOnlyList<string> CommandLine, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment);
