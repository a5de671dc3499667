namespace Faas.AppHost.Hosting;

/// <summary>What lives where under the state directory.</summary>
public sealed record StateLayout(string Root)
{
    public string Garnet => Path.Combine(Root, "garnet");

    public string Postgres => Path.Combine(Root, "postgres");

    public string ModuleCache => Path.Combine(Root, "cache", "modules");

    /// <summary>The compiler's scratch directories, one per running build.</summary>
    public string Builds => Path.Combine(Root, "builds");

    /// <summary>JOB mode: container bundles, the container image, precompiled modules.</summary>
    public string Jobs => Path.Combine(Root, "jobs");

    /// <summary>Project-local toolchains (.ci/run installs AssemblyScript here).</summary>
    public string Toolchains => Path.Combine(Root, "toolchains");

    /// <summary>Keys the mesh generates for itself (mode 0700): service tokens, user tokens, the Data Protection key ring.</summary>
    public string Secrets => Path.Combine(Root, "secrets");

    /// <summary>The key services sign their calls to each other with.</summary>
    public string ServiceKeyFile => Path.Combine(Secrets, "service.key");

    /// <summary>The key user tokens (logins) are signed with.</summary>
    public string UserTokenKeyFile => Path.Combine(Secrets, "user-token.key");

    /// <summary>The Data Protection key ring that seals function secrets.</summary>
    public string DataProtectionKeys => Path.Combine(Secrets, "data-protection");

    /// <summary>The administrator's API key, written on first start (mode 0600).</summary>
    public string AdminKeyFile => Path.Combine(Root, "admin.key");

    /// <summary>The operator's token for scraping every service's /metrics.</summary>
    public string MetricsTokenFile => Path.Combine(Secrets, "metrics.token");

    /// <summary>The key the sink manager signs sink tokens with.</summary>
    public string SinkTokenKeyFile => Path.Combine(Secrets, "sink-token.key");

    /// <summary>The sink credential of the built-in workers (written by the sink manager on its first start).</summary>
    public string WorkerCredentialFile => Path.Combine(Secrets, "workers.sink-credential");
}
