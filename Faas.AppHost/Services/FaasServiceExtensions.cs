using Faas.AppHost.Health;
using Faas.AppHost.Hosting;

namespace Faas.AppHost.Services;

public static class FaasServiceExtensions
{
    /// <summary>
    /// A Faas service: its built output run as a process, with an <c>http</c> (HTTP/1.1) and a <c>grpc</c> (HTTP/2
    /// cleartext) endpoint on loopback, not proxied (every call already crosses enough hops), on the given ports or free
    /// ones; OpenTelemetry to the dashboard; the mesh's key files and the operator's service settings; healthy when its
    /// <c>/health</c> says so.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddFaasService(
        this IDistributedApplicationBuilder builder, string name, string project, AppHostSettings settings, int httpPort = 0, int grpcPort = 0)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var dll = ServiceBinaries.Dll(project);
        var state = settings.State;
        var service = builder.AddExecutable(name, ServiceBinaries.DotNet, Path.GetDirectoryName(dll)!, dll)
            .WithLoopbackEndpoint("http", httpPort, "Http1")
            .WithLoopbackEndpoint("grpc", grpcPort, "Http2")
            .WithOtlpExporter()
            .WithoutOtlpExporterWhenNoDashboard()
            .WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithEnvironment("ServiceAuth__KeyFile", state.ServiceKeyFile)
            .WithEnvironment("DataProtection__KeyDirectory", state.DataProtectionKeys)
            .WithEnvironment("Metrics__BearerTokenFile", state.MetricsTokenFile)
            // Every service shares this machine's cores: thread pools that spin while idle steal them from
            // each other (on 2 cores this alone costs ~40% of the mesh's throughput).
            .WithEnvironment("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0")
            // Console logs one line per entry (the dashboard's console view); structured logs go over OTLP.
            .WithEnvironment("Logging__Console__FormatterName", "simple")
            .WithEnvironment("Logging__Console__FormatterOptions__SingleLine", "true");
        var http = service.GetEndpoint("http");
        service.WithPromptHealthCheck($"{name}_health", () => new HttpHealthCheck(http, "/health"));
        return service.WithSettings(settings.Options.ServiceEnvironment);
    }

    /// <summary>The operator's settings, as environment variables in their double-underscore form; a later one wins over an earlier one.</summary>
    public static IResourceBuilder<ExecutableResource> WithSettings(this IResourceBuilder<ExecutableResource> service, IReadOnlyDictionary<string, string>? environment)
    {
        ArgumentNullException.ThrowIfNull(service);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            service.WithEnvironment(key, value);
        }

        return service;
    }

    /// <summary>
    /// With the dashboard disabled (the tests and the benchmark), nothing receives OTLP: Aspire would still point the
    /// service at its default collector address, and every service would record every span and keep failing to
    /// export it. Without an endpoint the service records no traces for export at all, and runs with the
    /// OpenTelemetry SDK's defaults rather than those Aspire sets for a local dashboard.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithoutOtlpExporterWhenNoDashboard(this IResourceBuilder<ExecutableResource> service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service.WithEnvironment(context =>
        {
            if (context.ExecutionContext.Services.GetService<DistributedApplicationOptions>() is { DisableDashboard: true })
            {
                // The exporter's address and the settings Aspire gives it for a local dashboard (a one-second export
                // interval, every trace sampled, exemplars on every measurement made inside a trace); the service's
                // name and instance stay.
                foreach (var variable in context.EnvironmentVariables.Keys
                    .Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal) && k is not ("OTEL_SERVICE_NAME" or "OTEL_RESOURCE_ATTRIBUTES"))
                    .ToList())
                {
                    context.EnvironmentVariables.Remove(variable);
                }
            }
        });
    }

    /// <summary>
    /// A Kestrel endpoint of the service: <c>Kestrel__Endpoints__{name}</c> on 127.0.0.1 and the port Aspire allocates
    /// (or <paramref name="port"/>), with the given HTTP protocols.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithLoopbackEndpoint(this IResourceBuilder<ExecutableResource> service, string name, int port, string protocols)
    {
        ArgumentNullException.ThrowIfNull(service);
        service.WithEndpoint(port: port == 0 ? null : port, targetPort: port == 0 ? null : port, scheme: "http", name: name, isProxied: false)
            .WithEndpoint(name, e =>
            {
                e.TargetHost = "127.0.0.1";
                e.Transport = protocols == "Http2" ? "http2" : "http";
            });
        var endpoint = service.GetEndpoint(name);
        return service
            .WithEnvironment($"Kestrel__Endpoints__{name}__Url", ReferenceExpression.Create($"http://127.0.0.1:{endpoint.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment($"Kestrel__Endpoints__{name}__Protocols", protocols);
    }

    public static IResourceBuilder<ExecutableResource> WithConnection(this IResourceBuilder<ExecutableResource> service, FaasConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.ApplyTo(service);
        return service;
    }

    /// <summary>Another service's endpoints (<c>services__{name}__http__0</c>, <c>services__{name}__grpc__0</c>), once it is healthy.</summary>
    public static IResourceBuilder<ExecutableResource> WithServiceReference(this IResourceBuilder<ExecutableResource> service, IResourceBuilder<ExecutableResource> other)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(other);
        return service.WithReference(other.GetEndpoint("http")).WithReference(other.GetEndpoint("grpc")).WaitFor(other);
    }

    /// <summary>The address of the service's own gRPC endpoint, in <paramref name="variable"/> (a worker registers where work is pushed to).</summary>
    public static IResourceBuilder<ExecutableResource> WithOwnGrpcAddressAs(this IResourceBuilder<ExecutableResource> service, string variable)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service.WithEnvironment(variable, service.GetEndpoint("grpc"));
    }

    /// <summary>The project-local AssemblyScript compiler, when <c>.ci/run</c> installed one.</summary>
    public static IResourceBuilder<ExecutableResource> WithAssemblyScript(this IResourceBuilder<ExecutableResource> compiler, StateLayout state)
    {
        ArgumentNullException.ThrowIfNull(compiler);
        return ToolchainLocator.FindAssemblyScript(state, ServiceBinaries.Dll("Faas.Compiler")) is { } asc
            ? compiler.WithEnvironment("Compiler__AscPath", asc)
            : compiler;
    }
}
