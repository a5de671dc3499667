using System.Reflection;
using Faas.AppHost.Hosting;

namespace Faas.AppHost.Model;

/// <summary>
/// The service projects the AppHost was built with (our counterpart of Aspire's generated
/// <c>Projects</c> namespace), read from the assembly metadata the csproj emits.
/// </summary>
public sealed class ServiceProjectCatalog
{
    public const string GatewayProject = "Faas.Gateway";
    public const string SchedulerProject = "Faas.Scheduler";
    public const string CompilerProject = "Faas.Compiler";
    public const string SinkManagerProject = "Faas.SinkManager";
    public const string RuntimeWorkerProject = "Faas.Runtime.Worker";

    /// <summary>The JOB-mode one-shot runtime (its assembly name); published with NativeAOT rather than run with dotnet.</summary>
    public const string OneShotRuntimeProject = "faas-oneshot";

    private const string MetadataPrefix = "FaasServiceProject:";

    private readonly IReadOnlyDictionary<string, ServiceProject> _projects;

    public ServiceProjectCatalog(IEnumerable<ServiceProject> projects) =>
        _projects = projects.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<ServiceProject> Projects => [.. _projects.Values];

    /// <summary>The projects referenced by the Faas.AppHost build.</summary>
    public static ServiceProjectCatalog FromAppHostAssembly() =>
        new(typeof(ServiceProjectCatalog).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal) && a.Value is not null)
            .Select(a =>
            {
                var paths = a.Value!.Split('|');
                return new ServiceProject(a.Key[MetadataPrefix.Length..], paths[0], paths[1]);
            }));

    public ServiceProject? TryGet(string name) => _projects.GetValueOrDefault(name);

    public ServiceProject Get(string name) =>
        _projects.TryGetValue(name, out var project)
            ? project
            : throw new AppHostConfigurationException(
                $"The AppHost was built without a reference to {name}; add it to Faas.AppHost.csproj as a service project.");
}
