namespace Faas.AppHost.Model;

/// <summary>One thing the AppHost starts, in the app model's dependency order.</summary>
public abstract record ResourceDefinition(string Name, IReadOnlyList<EndpointDefinition> Endpoints)
{
    /// <summary>Short description of the kind of resource, shown on the dashboard.</summary>
    public abstract string Kind { get; }

    public EndpointDefinition GetEndpoint(string endpointName) =>
        Endpoints.FirstOrDefault(e => string.Equals(e.Name, endpointName, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException(
            $"Resource '{Name}' has no endpoint '{endpointName}'; it has {string.Join(", ", Endpoints.Select(e => e.Name))}.");
}

/// <summary>Microsoft Garnet hosted inside the AppHost process.</summary>
/// <param name="DataDirectory">Where the append-only file and checkpoints go; null keeps no data.</param>
public sealed record GarnetResourceDefinition(string Name, int Port, string? DataDirectory)
    : ResourceDefinition(Name, [new EndpointDefinition(EndpointDefinition.Tcp, "tcp", Port)])
{
    public override string Kind => "Garnet (in-process)";

    /// <summary>StackExchange.Redis format.</summary>
    public string ConnectionString => $"{EndpointDefinition.Host}:{Port}";
}

/// <summary>A PostgreSQL server run from the machine's binaries, with the Faas database in it.</summary>
public sealed record PostgresResourceDefinition(string Name, int Port, string DataDirectory, string DatabaseName, string? BinDirectory)
    : ResourceDefinition(Name, [new EndpointDefinition(EndpointDefinition.Tcp, "tcp", Port)])
{
    public const string UserName = "postgres";

    public override string Kind => "PostgreSQL";

    /// <summary>Npgsql format, for the database named <see cref="DatabaseName"/>.</summary>
    public string DatabaseConnectionString => $"Host={EndpointDefinition.Host};Port={Port};Username={UserName};Database={DatabaseName}";
}

/// <summary>A .NET service run as its own process with Aspire-style environment.</summary>
public sealed record ProjectResourceDefinition(
    string Name,
    ServiceProject Project,
    IReadOnlyList<EndpointDefinition> Endpoints,
    IReadOnlyDictionary<string, string> Environment)
    : ResourceDefinition(Name, Endpoints)
{
    public override string Kind => Project.Name;

    /// <summary>Where <c>/health</c> is served.</summary>
    public EndpointDefinition HealthEndpoint => GetEndpoint(EndpointDefinition.Http);
}
