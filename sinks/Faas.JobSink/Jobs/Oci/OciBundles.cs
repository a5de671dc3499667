namespace Faas.JobSink.Jobs.Oci;

/// <summary>
/// The bundles of the containers this scheduler runs: <c>&lt;state&gt;/bundles/&lt;container id&gt;</c>, each holding
/// <c>config.json</c> and the job folder, private to this user (a payload may be private; the container sees only its
/// job folder).
/// </summary>
public static class OciBundles
{
    public static string Root(JobOptions options) => Path.Combine(options.StateDirectory, "bundles");

    /// <summary>A new container id: <see cref="JobOptions.ContainerPrefix"/> and 20 random hex digits.</summary>
    public static string NewContainerId(JobOptions options) => options.ContainerPrefix + Guid.NewGuid().ToString("N")[..20];

    public static string PathOf(JobOptions options, string containerId) => Path.Combine(Root(options), containerId);

    /// <summary>Creates the container's bundle folder, private to this user.</summary>
    public static void Create(JobOptions options, string containerId)
    {
        FileModes.CreatePrivateFolder(Root(options));
        FileModes.CreatePrivateFolder(PathOf(options, containerId));
    }

    public static string JobFolderOf(string bundle) => Path.Combine(bundle, "job");

    /// <summary>Writes the bundle's <c>config.json</c>.</summary>
    public static Task WriteSpecAsync(string bundle, OciSpecInput input, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), OciSpec.Build(input).ToJsonString(), cancellationToken);
}
