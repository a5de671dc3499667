using Faas.AppHost.Hosting;

namespace Faas.Testing;

/// <summary>
/// Creates a <see cref="FaasTestApp"/>: the AppHost's real app model (Garnet, PostgreSQL, workers,
/// scheduler, gateway, dashboard) with every port free-picked and a fresh temporary state directory.
/// <code>
/// await using var app = FaasTestingBuilder.Create(o => o.Workers = 1).Build();
/// await app.StartAsync();
/// var gateway = app.GetEndpoint("gateway", "http");
/// </code>
/// With <see cref="FaasTestingOptions.InfrastructureOnly"/> only Garnet and PostgreSQL start.
/// </summary>
public sealed class FaasTestingBuilder
{
    private FaasTestingBuilder(FaasTestingOptions options) => Options = options;

    public FaasTestingOptions Options { get; }

    public static FaasTestingBuilder Create(Action<FaasTestingOptions>? configure = null)
    {
        var options = new FaasTestingOptions();
        configure?.Invoke(options);
        return new FaasTestingBuilder(options);
    }

    public FaasTestApp Build()
    {
        var ownsState = Options.StateDirectory is null;
        var state = Options.StateDirectory ?? CreateTemporaryStateDirectory();
        var options = Options;
        try
        {
            var app = AppHostApplication.Create(
                [],
                appHost =>
                {
                    appHost.Workers = options.Workers;
                    appHost.InfrastructureOnly = options.InfrastructureOnly;
                    appHost.GatewayHttpPort = 0;
                    appHost.GatewayGrpcPort = 0;
                    appHost.DashboardPort = 0;
                    appHost.StateDirectory = state;
                    appHost.HealthTimeoutSeconds = (int)Math.Ceiling(options.HealthTimeout.TotalSeconds);
                    appHost.RedisConnectionString = options.RedisConnectionString;
                    appHost.FaasDbConnectionString = options.FaasDbConnectionString;
                    appHost.PublishJobRuntime = options.PublishJobRuntime;
                    options.ConfigureAppHost?.Invoke(appHost);
                },
                options.EnvironmentName);
            return new FaasTestApp(app, state, ownsState, options.DefaultWaitTimeout);
        }
        catch (Exception e)
        {
            if (ownsState)
            {
                Directory.Delete(state, recursive: true);
            }

            if (AppHostPreflight.Explain(e) is { } reason && e is not AppHostConfigurationException)
            {
                throw new AppHostConfigurationException(reason);
            }

            throw;
        }
    }

    /// <summary>Short, so PostgreSQL's unix socket path in it stays under the kernel's limit.</summary>
    private static string CreateTemporaryStateDirectory()
    {
        var folder = Directory.CreateTempSubdirectory("faas-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // Traversable by PostgreSQL's own user when the tests run as root.
            File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return folder;
    }
}
