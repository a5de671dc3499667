namespace Faas.AppHost.Services;

/// <summary>
/// A connection string the services get as <c>ConnectionStrings__{Name}</c>: from an embedded server the AppHost runs
/// (the services wait for it to be healthy), or from an existing server given in configuration.
/// </summary>
public sealed class FaasConnection
{
    private readonly Action<IResourceBuilder<ExecutableResource>> apply;

    private FaasConnection(Action<IResourceBuilder<ExecutableResource>> apply) => this.apply = apply;

    public static FaasConnection External(IResourceBuilder<IResourceWithConnectionString> connectionString) =>
        new(project => project.WithReference(connectionString));

    /// <summary>The connection string of an embedded server, as an expression over its allocated endpoint.</summary>
    public static FaasConnection Embedded<TServer>(string name, IResourceBuilder<TServer> server, ReferenceExpression connectionString)
        where TServer : class, IResource =>
        new(project => project.WithEnvironment($"ConnectionStrings__{name}", connectionString).WaitFor(server));

    internal void ApplyTo(IResourceBuilder<ExecutableResource> project) => apply(project);
}
