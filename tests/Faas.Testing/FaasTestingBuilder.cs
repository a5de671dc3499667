using System.Globalization;
using Aspire.Hosting.Testing;
using Faas.AppHost.Hosting;
using Faas.AppHost.Jobs;

namespace Faas.Testing;

/// <summary>
/// Creates a <see cref="FaasTestApp"/>: Faas.AppHost's real app model (Garnet, PostgreSQL, sink manager, workers,
/// scheduler, compiler, gateway) started by <see cref="DistributedApplicationTestingBuilder"/>, with every port
/// free-picked, no dashboard and a fresh temporary state directory.
/// <code>
/// await using var app = await FaasTestingBuilder.Create(o => o.Workers = 1).BuildAsync();
/// await app.StartAsync();
/// var gateway = app.GetEndpoint("gateway", "http");
/// </code>
/// With <see cref="FaasTestingOptions.InfrastructureOnly"/> only Garnet and PostgreSQL start.
/// </summary>
public sealed class FaasTestingBuilder
{
    private FaasTestingBuilder(FaasTestingOptions options) => Options = options;

    public FaasTestingOptions Options { get; }

    /// <summary>Where JOB mode's job runner is (or will be) published for the current sources.</summary>
    public static JobRunnerBuild JobRunnerBinary => JobRunnerBuild.For(new Projects.Faas_JobRunner().ProjectPath);

    public static FaasTestingBuilder Create(Action<FaasTestingOptions>? configure = null)
    {
        var options = new FaasTestingOptions();
        configure?.Invoke(options);
        return new FaasTestingBuilder(options);
    }

    public async Task<FaasTestApp> BuildAsync(CancellationToken cancellationToken = default)
    {
        var ownsState = Options.StateDirectory is null;
        var state = Options.StateDirectory ?? CreateTemporaryStateDirectory();
        var appHost = new AppHostOptions
        {
            Workers = Options.Workers,
            Gateways = Options.Gateways,
            GatewayEnvironment = Options.GatewayEnvironment.ToDictionary(e => e.Key, e => new Dictionary<string, string>(e.Value, StringComparer.Ordinal)),
            InfrastructureOnly = Options.InfrastructureOnly,
            GatewayHttpPort = 0,
            GatewayGrpcPort = 0,
            DashboardPort = 0,
            StateDirectory = state,
            HealthTimeoutSeconds = (int)Math.Ceiling(Options.HealthTimeout.TotalSeconds),
            RedisConnectionString = Options.RedisConnectionString,
            FaasDbConnectionString = Options.FaasDbConnectionString,
            PublishJobRunner = Options.PublishJobRunner,
        };
        if (Options.WorkerSlots is { } slots)
        {
            appHost.ServiceEnvironment["Worker__Slots"] = slots.ToString(CultureInfo.InvariantCulture);
        }

        Options.ConfigureAppHost?.Invoke(appHost);
        try
        {
            // As the AppHost's own start does, so a taken port or a bad setting is this exception, not a failed start.
            AppHostSettingsExtensions.Check(appHost);
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Faas_AppHost>(
                [.. Arguments(appHost), $"--environment={Options.EnvironmentName}"],
                (application, _) => application.DisableDashboard = true,
                cancellationToken);
            var app = await builder.BuildAsync(cancellationToken);
            return new FaasTestApp(app, new StateLayout(Path.GetFullPath(state)), appHost, ownsState, Options.DefaultWaitTimeout);
        }
        catch
        {
            if (ownsState)
            {
                Directory.Delete(state, recursive: true);
            }

            throw;
        }
    }

    /// <summary>The AppHost's settings as the command line it reads them from.</summary>
    internal static IEnumerable<string> Arguments(AppHostOptions options)
    {
        string Setting(string name, object value) => $"--{AppHostOptions.SectionName}:{name}={Convert.ToString(value, CultureInfo.InvariantCulture)}";
        yield return Setting(nameof(options.Workers), options.Workers);
        yield return Setting(nameof(options.Gateways), options.Gateways);
        yield return Setting(nameof(options.Compilers), options.Compilers);
        yield return Setting(nameof(options.BuildTimeoutSeconds), options.BuildTimeoutSeconds);
        yield return Setting(nameof(options.GatewayHttpPort), options.GatewayHttpPort);
        yield return Setting(nameof(options.GatewayGrpcPort), options.GatewayGrpcPort);
        yield return Setting(nameof(options.DashboardPort), options.DashboardPort);
        yield return Setting(nameof(options.StateDirectory), options.StateDirectory);
        yield return Setting(nameof(options.HealthTimeoutSeconds), options.HealthTimeoutSeconds);
        yield return Setting(nameof(options.ShutdownGraceSeconds), options.ShutdownGraceSeconds);
        yield return Setting(nameof(options.PublishJobRunner), options.PublishJobRunner);
        yield return Setting(nameof(options.GarnetPersistence), options.GarnetPersistence);
        yield return Setting(nameof(options.InfrastructureOnly), options.InfrastructureOnly);
        if (options.PostgresBinDirectory is { Length: > 0 } bin)
        {
            yield return Setting(nameof(options.PostgresBinDirectory), bin);
        }

        if (options.RedisConnectionString is { Length: > 0 } redis)
        {
            yield return $"--ConnectionStrings:{ResourceNames.Redis}={redis}";
        }

        if (options.FaasDbConnectionString is { Length: > 0 } faasdb)
        {
            yield return $"--ConnectionStrings:{ResourceNames.FaasDb}={faasdb}";
        }

        foreach (var (key, value) in options.ServiceEnvironment)
        {
            yield return $"--{AppHostOptions.SectionName}:{nameof(options.ServiceEnvironment)}:{key}={value}";
        }

        foreach (var (index, environment) in options.GatewayEnvironment)
        {
            foreach (var (key, value) in environment)
            {
                yield return $"--{AppHostOptions.SectionName}:{nameof(options.GatewayEnvironment)}:{Convert.ToString(index, CultureInfo.InvariantCulture)}:{key}={value}";
            }
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
