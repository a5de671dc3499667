using System.Globalization;
using Faas.AppHost.Hosting;
using Faas.AppHost.Jobs;
using Faas.AppHost.Networking;

namespace Faas.AppHost.Model;

/// <summary>
/// The one place that says which resources make up Faas and how they are wired: Garnet and PostgreSQL
/// (unless external connection strings are given), the runtime workers, the scheduler, the compiler and the gateway,
/// in dependency order, each project with Aspire's environment contract. With
/// <see cref="AppHostOptions.InfrastructureOnly"/> it stops after Garnet and PostgreSQL.
/// </summary>
public sealed class FaasAppModel
{
    private FaasAppModel(
        StateLayout state, IReadOnlyList<ResourceDefinition> resources, IReadOnlyDictionary<string, string> connectionStrings, OneShotRuntimeBuild? oneShotRuntime = null)
    {
        State = state;
        Resources = resources;
        ConnectionStrings = connectionStrings;
        OneShotRuntime = oneShotRuntime;
    }

    public StateLayout State { get; }

    /// <summary>The JOB-mode one-shot runtime the scheduler is given, published by the AppHost if needed; null when not part of the build.</summary>
    public OneShotRuntimeBuild? OneShotRuntime { get; }

    /// <summary>Resources in start order; they stop in reverse.</summary>
    public IReadOnlyList<ResourceDefinition> Resources { get; }

    /// <summary>Connection strings by Aspire name (<c>redis</c>, <c>faasdb</c>).</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings { get; }

    public IEnumerable<ProjectResourceDefinition> Projects => Resources.OfType<ProjectResourceDefinition>();

    public ResourceDefinition GetResource(string name) =>
        Resources.FirstOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"There is no resource '{name}'; there are {string.Join(", ", Resources.Select(r => r.Name))}.");

    public Uri GetEndpoint(string resourceName, string endpointName) => GetResource(resourceName).GetEndpoint(endpointName).Url;

    public string GetConnectionString(string name) =>
        ConnectionStrings.TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException($"There is no connection string '{name}'; there are {string.Join(", ", ConnectionStrings.Keys)}.");

    public static FaasAppModel Build(AppHostOptions options, AppHostContext context, IPortAllocator ports, ServiceProjectCatalog projects)
    {
        var state = new StateLayout(Path.GetFullPath(options.StateDirectory, context.WorkingDirectory));
        var resources = new List<ResourceDefinition>();
        var connectionStrings = new Dictionary<string, string>();

        if (string.IsNullOrWhiteSpace(options.RedisConnectionString))
        {
            var garnet = new GarnetResourceDefinition(ResourceNames.Redis, ports.GetFreePort(), options.GarnetPersistence ? state.Garnet : null);
            resources.Add(garnet);
            connectionStrings[ResourceNames.Redis] = garnet.ConnectionString;
        }
        else
        {
            connectionStrings[ResourceNames.Redis] = options.RedisConnectionString;
        }

        if (string.IsNullOrWhiteSpace(options.FaasDbConnectionString))
        {
            var postgres = new PostgresResourceDefinition(
                ResourceNames.Postgres, ports.GetFreePort(), state.Postgres, ResourceNames.FaasDatabaseName, options.PostgresBinDirectory);
            resources.Add(postgres);
            connectionStrings[ResourceNames.FaasDb] = postgres.DatabaseConnectionString;
        }
        else
        {
            connectionStrings[ResourceNames.FaasDb] = options.FaasDbConnectionString;
        }

        if (options.InfrastructureOnly)
        {
            return new FaasAppModel(state, resources, connectionStrings);
        }

        // Keys live under the state directory (StateKeys creates them before the services start); services get the files.
        var keys = new Dictionary<string, string>
        {
            ["ServiceAuth__KeyFile"] = state.ServiceKeyFile,
            ["DataProtection__KeyDirectory"] = state.DataProtectionKeys,
            ["Metrics__BearerTokenFile"] = state.MetricsTokenFile,
        };
        foreach (var (key, value) in options.ServiceEnvironment)
        {
            keys[key] = value;
        }

        var wiring = new ProjectWiring(context, connectionStrings, keys);

        // The membership of execution capacity: first, so the workers register with it as they start.
        var sinkManager = wiring.Project(ResourceNames.SinkManager, projects.Get(ServiceProjectCatalog.SinkManagerProject), ports.GetFreePort(), ports.GetFreePort())
            .WithConnectionString(ResourceNames.FaasDb)
            .With("SinkManager__SigningKeyFile", state.SinkTokenKeyFile)
            .With("SinkManager__BootstrapCredentialFile", state.WorkerCredentialFile)
            .Build();
        resources.Add(sinkManager);

        var workers = new List<ProjectResourceDefinition>();
        for (var i = 0; i < options.Workers; i++)
        {
            var name = ResourceNames.RuntimeWorker(i);
            var worker = wiring.Project(name, projects.Get(ServiceProjectCatalog.RuntimeWorkerProject), ports.GetFreePort(), ports.GetFreePort())
                .WithConnectionString(ResourceNames.FaasDb)
                .WithReference(sinkManager, EndpointDefinition.Grpc)
                .With("Runtime__WorkerId", name)
                .With("Runtime__CacheDirectory", state.ModuleCache)
                .With("Sink__CredentialFile", state.WorkerCredentialFile);
            // A worker registers the address the scheduler pushes work to: its own gRPC endpoint.
            workers.Add(worker.With("Sink__PushAddress", worker.Endpoint(EndpointDefinition.Grpc)).Build());
        }

        resources.AddRange(workers);

        var oneShotRuntime = projects.TryGet(ServiceProjectCatalog.OneShotRuntimeProject) is { } oneShotProject ? OneShotRuntimeBuild.For(oneShotProject) : null;
        var schedulerBuilder = wiring.Project(ResourceNames.Scheduler, projects.Get(ServiceProjectCatalog.SchedulerProject), ports.GetFreePort(), ports.GetFreePort())
            .WithConnectionString(ResourceNames.Redis)
            .WithConnectionString(ResourceNames.FaasDb)
            .WithReference(sinkManager, EndpointDefinition.Grpc)
            .With("Jobs__StateDirectory", state.Jobs);
        if (oneShotRuntime is not null)
        {
            schedulerBuilder.With("Jobs__RuntimeDirectory", oneShotRuntime.OutputDirectory);
        }

        var scheduler = schedulerBuilder.Build();
        resources.Add(scheduler);

        var compilerProject = projects.Get(ServiceProjectCatalog.CompilerProject);
        var compiler = wiring.Project(ResourceNames.Compiler, compilerProject, ports.GetFreePort(), ports.GetFreePort())
            .WithConnectionString(ResourceNames.Redis)
            .WithConnectionString(ResourceNames.FaasDb)
            .With("Builds__MaxParallelBuilds", options.Compilers.ToString(CultureInfo.InvariantCulture))
            .With("Compiler__BuildTimeout", TimeSpan.FromSeconds(options.BuildTimeoutSeconds).ToString("c", CultureInfo.InvariantCulture))
            .With("Compiler__ScratchRoot", state.Builds);
        if (ToolchainLocator.FindAssemblyScript(state, compilerProject) is { } asc)
        {
            compiler.With("Compiler__AscPath", asc);
        }

        resources.Add(compiler.Build());
        var compilerResource = (ProjectResourceDefinition)resources[^1];

        var gateway = wiring.Project(
                ResourceNames.Gateway,
                projects.Get(ServiceProjectCatalog.GatewayProject),
                PortOrFree(options.GatewayHttpPort, ports),
                PortOrFree(options.GatewayGrpcPort, ports))
            .WithConnectionString(ResourceNames.Redis)
            .WithConnectionString(ResourceNames.FaasDb)
            .WithReference(scheduler, EndpointDefinition.Grpc)
            .WithReference(scheduler, EndpointDefinition.Http)
            .WithReference(compilerResource, EndpointDefinition.Grpc)
            .WithReference(sinkManager, EndpointDefinition.Grpc)
            .With("Auth__SigningKeyFile", state.UserTokenKeyFile)
            .With("Auth__BootstrapAdminKeyFile", state.AdminKeyFile)
            .Build();
        resources.Add(gateway);

        return new FaasAppModel(state, resources, connectionStrings, oneShotRuntime);
    }

    private static int PortOrFree(int configured, IPortAllocator ports) => configured == 0 ? ports.GetFreePort() : configured;
}
