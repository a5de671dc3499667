namespace Faas.AppHost.Hosting;

/// <summary>Resource names, which are also the Aspire names services resolve each other by.</summary>
public static class ResourceNames
{
    /// <summary>The Redis-protocol server; also the connection string name.</summary>
    public const string Redis = "redis";

    /// <summary>The PostgreSQL server.</summary>
    public const string Postgres = "postgres";

    /// <summary>The Faas database on <see cref="Postgres"/>; the connection string name.</summary>
    public const string FaasDb = "faasdb";

    /// <summary>The database's name inside PostgreSQL.</summary>
    public const string FaasDatabaseName = "faas";

    public const string Gateway = "gateway";
    public const string Scheduler = "scheduler";
    public const string Compiler = "compiler";
    public const string SinkManager = "sinkmanager";

    /// <summary>The job sink: JOB mode, each invocation in a container of its own.</summary>
    public const string Jobs = "jobs";

    /// <summary>The service name of the workers (<c>services__worker__grpc__N</c>).</summary>
    public const string WorkerService = "worker";

    public static string Worker(int index) => $"{WorkerService}-{index}";

    /// <summary>A gateway replica: <see cref="Gateway"/> for the first, <c>gateway-1</c> … for the others.</summary>
    public static string GatewayReplica(int index) => index == 0 ? Gateway : $"{Gateway}-{index}";

    /// <summary>Whether <paramref name="name"/> is one of the gateway replicas.</summary>
    public static bool IsGateway(string name) =>
        name == Gateway || (name.StartsWith(Gateway + "-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(Gateway.Length + 1), out var index) && index > 0);
}
