using System.Net;
using System.Text.Json.Serialization;
using Faas.AppHost.Dashboard;
using Faas.AppHost.Jobs;
using Faas.AppHost.Model;
using Faas.AppHost.Networking;
using Faas.AppHost.Orchestration;
using Faas.AppHost.Processes;
using Faas.AppHost.Resources;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Faas.AppHost.Hosting;

/// <summary>Composes the AppHost: options, the app model, the orchestrator and the dashboard.</summary>
public static class AppHostApplication
{
    /// <param name="args">Command-line arguments (see <see cref="CommandLineSwitches"/>).</param>
    /// <param name="configure">Applied after configuration binding (the testing builder uses it).</param>
    /// <param name="environmentName">Overrides DOTNET_ENVIRONMENT; the services get the same.</param>
    public static WebApplication Create(string[] args, Action<AppHostOptions>? configure = null, string? environmentName = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AppHostApplication).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = environmentName,
        });
        builder.Configuration.AddCommandLine(args, CommandLineSwitches.Mappings.ToDictionary());

        builder.Logging.ClearProviders()
            .AddConsole(console =>
            {
                console.FormatterName = AppHostConsoleFormatter.FormatterName;
                console.LogToStandardErrorThreshold = LogLevel.Error;
            })
            .AddConsoleFormatter<AppHostConsoleFormatter, ConsoleFormatterOptions>()
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        builder.Services.AddAppHost(configure);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var port = kestrel.ApplicationServices.GetRequiredService<IOptions<AppHostOptions>>().Value.DashboardPort;
            kestrel.Listen(IPAddress.Loopback, port);
        });

        var app = builder.Build();
        app.Services.GetRequiredService<DashboardAccess>().Protect(app);
        app.MapDashboard();
        return app;
    }

    public static IServiceCollection AddAppHost(this IServiceCollection services, Action<AppHostOptions>? configure = null)
    {
        services.AddOptions<AppHostOptions>()
            .BindConfiguration(AppHostOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.RedisConnectionString ??= configuration.GetConnectionString(ResourceNames.Redis);
                options.FaasDbConnectionString ??= configuration.GetConnectionString(ResourceNames.FaasDb);
            })
            .ValidateOnStart();
        if (configure is not null)
        {
            services.PostConfigure(configure);
        }

        services.AddSingleton<IValidateOptions<AppHostOptions>, AppHostOptionsValidator>();
        services.AddSingleton<DashboardAccess>();
        services.AddSingleton<IPortAllocator, LoopbackPortAllocator>();
        services.AddSingleton(_ => ServiceProjectCatalog.FromAppHostAssembly());
        services.AddSingleton(sp => new AppHostContext(
            Environment.ProcessId,
            sp.GetRequiredService<IHostEnvironment>().EnvironmentName,
            sp.GetRequiredService<IConfiguration>()["OTEL_EXPORTER_OTLP_ENDPOINT"],
            Directory.GetCurrentDirectory()));
        services.AddSingleton(sp => FaasAppModel.Build(
            sp.GetRequiredService<IOptions<AppHostOptions>>().Value,
            sp.GetRequiredService<AppHostContext>(),
            sp.GetRequiredService<IPortAllocator>(),
            sp.GetRequiredService<ServiceProjectCatalog>()));
        services.AddSingleton<ResourceRegistry>();
        services.AddSingleton<GatewayAdminClient>();
        services.AddSingleton<ToolchainStatus>();
        services.AddSingleton<SinkStatus>();
        services.AddSingleton<OneShotRuntimeState>();
        services.AddSingleton<JobModeStatus>();
        services.AddHostedService<OneShotRuntimePublisher>();
        services.AddSingleton<HealthProbe>();
        services.AddSingleton<Orchestrator>();
        services.AddSingleton<AppHostRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<AppHostRunner>());

        // Services get a grace period each before they are killed; the host must not cut that short.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return services;
    }
}
