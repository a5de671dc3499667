using Faas.AppHost.Garnet;
using Faas.AppHost.Healing;
using Faas.AppHost.Hosting;
using Faas.AppHost.Jobs;
using Faas.AppHost.Postgres;
using Faas.AppHost.Services;
using Faas.AppHost.Status;

if (CommandLineSwitches.IsHelp(args))
{
    Console.WriteLine(CommandLineSwitches.Usage);
    return 0;
}

var builder = DistributedApplication.CreateBuilder(args);
AppHostSettings settings;
try
{
    settings = builder.AddFaasSettings(args);
}
catch (AppHostConfigurationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var (options, state) = (settings.Options, settings.State);

// Data: an existing server when one is given, else the embedded one, run as a process of its own (there is no
// container engine to run Redis or PostgreSQL images).
var redis = options.RedisConnectionString is { Length: > 0 }
    ? FaasConnection.External(builder.AddConnectionString(ResourceNames.Redis))
    : builder.AddGarnet(ResourceNames.Redis, options.GarnetPersistence ? state.Garnet : null);
var faasdb = options.FaasDbConnectionString is { Length: > 0 }
    ? FaasConnection.External(builder.AddConnectionString(ResourceNames.FaasDb))
    : builder.AddLocalPostgres(ResourceNames.Postgres, ResourceNames.FaasDb, state, options);

if (!options.InfrastructureOnly)
{
    // The membership of execution capacity: first, so the workers register with it as they start.
    var sinkManager = builder.AddFaasService(ResourceNames.SinkManager, "Faas.SinkManager", settings)
        .WithConnection(faasdb)
        .WithEnvironment("SinkManager__SigningKeyFile", state.SinkTokenKeyFile)
        .WithEnvironment("SinkManager__BootstrapCredentialFile", state.WorkerCredentialFile);

    var workers = Enumerable.Range(0, options.Workers)
        .Select(i => builder.AddFaasService(ResourceNames.Worker(i), "Faas.Worker", settings)
            .WithConnection(faasdb)
            .WithServiceReference(sinkManager)
            .WithEnvironment("Worker__WorkerId", ResourceNames.Worker(i))
            .WithEnvironment("Worker__CacheDirectory", state.ModuleCache)
            .WithEnvironment("Sink__CredentialFile", state.WorkerCredentialFile)
            .WithOwnGrpcAddressAs("Sink__PushAddress")
            .WithDrainCommand())
        .ToList();

    // JOB mode: a sink like the workers, serving modes [JOB] by running each invocation in a container of its own.
    builder.AddFaasService(ResourceNames.Jobs, "Faas.JobSink", settings)
        .WithConnection(faasdb)
        .WithServiceReference(sinkManager)
        .WithEnvironment("Jobs__StateDirectory", state.Jobs)
        .WithEnvironment("Sink__CredentialFile", state.WorkerCredentialFile)
        .WithOwnGrpcAddressAs("Sink__PushAddress")
        .WithJobRunner(settings);

    var scheduler = builder.AddFaasService(ResourceNames.Scheduler, "Faas.Scheduler", settings)
        .WithConnection(redis)
        .WithConnection(faasdb)
        .WithServiceReference(sinkManager);

    var compiler = builder.AddFaasService(ResourceNames.Compiler, "Faas.Compiler", settings)
        .WithConnection(redis)
        .WithConnection(faasdb)
        .WithEnvironment("Builds__MaxParallelBuilds", options.Compilers.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .WithEnvironment("Compiler__BuildTimeout", TimeSpan.FromSeconds(options.BuildTimeoutSeconds).ToString("c", System.Globalization.CultureInfo.InvariantCulture))
        .WithEnvironment("Compiler__ScratchRoot", state.Builds)
        .WithAssemblyScript(state);

    // The first gateway on the configured ports, any others on free ones. Each may bootstrap the administrator at its
    // first start: the one whose insert wins writes the key file, the others find the administrator there and leave it.
    for (var i = 0; i < options.Gateways; i++)
    {
        builder.AddFaasService(ResourceNames.GatewayReplica(i), "Faas.Gateway", settings,
                i == 0 ? options.GatewayHttpPort : 0, i == 0 ? options.GatewayGrpcPort : 0)
            .WithConnection(redis)
            .WithConnection(faasdb)
            .WithServiceReference(scheduler)
            .WithServiceReference(compiler)
            .WithServiceReference(sinkManager)
            .WithEnvironment("Auth__SigningKeyFile", state.UserTokenKeyFile)
            .WithEnvironment("Auth__BootstrapAdminKeyFile", state.AdminKeyFile)
            .WithSettings(options.GatewayEnvironment.GetValueOrDefault(i));
    }
}

// A resource that dies is started again, with backoff; the ready line is printed once every resource is healthy.
builder.Services.AddResourceHealing();
builder.Services.AddReadyLine(settings);
builder.Services.AddMeshStatus();

await builder.Build().RunAsync();
return 0;
