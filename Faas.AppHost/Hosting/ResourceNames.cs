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
}
