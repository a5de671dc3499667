namespace Faas.AppHost.Model;

/// <summary>
/// Builds a project resource's environment the way an Aspire AppHost does: named Kestrel endpoints,
/// <c>ConnectionStrings__name</c>, <c>services__name__endpoint__N</c>, OTEL variables.
/// </summary>
internal sealed class ProjectWiring(
    AppHostContext context, IReadOnlyDictionary<string, string> connectionStrings, IReadOnlyDictionary<string, string>? serviceEnvironment = null)
{
    public ProjectBuilder Project(string name, ServiceProject project, int httpPort, int grpcPort)
    {
        var endpoints = new[]
        {
            new EndpointDefinition(EndpointDefinition.Http, "http", httpPort, "Http1"),
            new EndpointDefinition(EndpointDefinition.Grpc, "http", grpcPort, "Http2"),
        };

        var builder = new ProjectBuilder(name, project, endpoints, connectionStrings);
        foreach (var endpoint in endpoints)
        {
            builder.With($"Kestrel__Endpoints__{endpoint.Name}__Url", endpoint.Address)
                .With($"Kestrel__Endpoints__{endpoint.Name}__Protocols", endpoint.Protocols!);
        }

        builder.With("OTEL_SERVICE_NAME", name)
            .With("FAAS_PARENT_PID", context.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("DOTNET_ENVIRONMENT", context.EnvironmentName)
            .With("ASPNETCORE_ENVIRONMENT", context.EnvironmentName)
            // Every service shares this machine's cores: thread pools that spin while idle steal them from
            // each other (on 2 cores this alone costs ~40% of the mesh's throughput).
            .With("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0")
            // Readable log files and dashboard tails: one line per entry (console logging only).
            .With("Logging__Console__FormatterName", "simple")
            .With("Logging__Console__FormatterOptions__SingleLine", "true")
            .With("Logging__Console__FormatterOptions__TimestampFormat", "HH:mm:ss.fff ");

        if (!string.IsNullOrWhiteSpace(context.OtlpEndpoint))
        {
            builder.With("OTEL_EXPORTER_OTLP_ENDPOINT", context.OtlpEndpoint);
        }

        foreach (var (key, value) in serviceEnvironment ?? new Dictionary<string, string>())
        {
            builder.With(key, value);
        }

        return builder;
    }

    internal sealed class ProjectBuilder(
        string name,
        ServiceProject project,
        IReadOnlyList<EndpointDefinition> endpoints,
        IReadOnlyDictionary<string, string> connectionStrings)
    {
        private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

        public ProjectBuilder With(string key, string value)
        {
            _environment[key] = value;
            return this;
        }

        public ProjectBuilder WithConnectionString(string connectionName) =>
            With($"ConnectionStrings__{connectionName}", connectionStrings[connectionName]);

        /// <summary><c>services__{resource}__{endpoint}__0</c> = that endpoint's URL.</summary>
        public ProjectBuilder WithReference(ProjectResourceDefinition target, string endpointName) =>
            With($"services__{target.Name}__{endpointName}__0", target.GetEndpoint(endpointName).Address);

        /// <summary>The address of one of this project's own endpoints.</summary>
        public string Endpoint(string endpointName) => endpoints.First(e => e.Name == endpointName).Address;

        public ProjectResourceDefinition Build() => new(name, project, endpoints, _environment);
    }
}
