namespace Faas.AppHost.Model;

/// <summary>What lives where under the state directory.</summary>
public sealed record StateLayout(string Root)
{
    public string Logs => Path.Combine(Root, "logs");

    public string Garnet => Path.Combine(Root, "garnet");

    public string Postgres => Path.Combine(Root, "postgres");

    public string ModuleCache => Path.Combine(Root, "cache", "modules");

    /// <summary>The compiler's scratch directories, one per running build.</summary>
    public string Builds => Path.Combine(Root, "builds");

    /// <summary>JOB mode: container bundles, the container image, precompiled modules.</summary>
    public string Jobs => Path.Combine(Root, "jobs");

    /// <summary>Project-local toolchains (.ci/run installs AssemblyScript here).</summary>
    public string Toolchains => Path.Combine(Root, "toolchains");

    public string LogFile(string resourceName) => Path.Combine(Logs, resourceName + ".log");
}
