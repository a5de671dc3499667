using Faas.AppHost.Hosting;
using Faas.AppHost.Model;

namespace Faas.AppHost.Tests.Unit;

public sealed class FaasAppModelTests
{
    private static readonly ServiceProjectCatalog Projects = new(
    [
        new ServiceProject("Faas.Gateway", "/src/services/Faas.Gateway/Faas.Gateway.csproj", "/src/services/Faas.Gateway/bin/Faas.Gateway.dll"),
        new ServiceProject("Faas.Scheduler", "/src/services/Faas.Scheduler/Faas.Scheduler.csproj", "/src/services/Faas.Scheduler/bin/Faas.Scheduler.dll"),
        new ServiceProject("Faas.Compiler", "/src/services/Faas.Compiler/Faas.Compiler.csproj", "/src/services/Faas.Compiler/bin/Faas.Compiler.dll"),
        new ServiceProject("Faas.SinkManager", "/src/services/Faas.SinkManager/Faas.SinkManager.csproj", "/src/services/Faas.SinkManager/bin/Faas.SinkManager.dll"),
        new ServiceProject("Faas.Runtime.Worker", "/src/runtimes/Faas.Runtime.Worker/Faas.Runtime.Worker.csproj", "/src/runtimes/Faas.Runtime.Worker/bin/Faas.Runtime.Worker.dll"),
    ]);

    private static readonly AppHostContext Context = new(ProcessId: 4242, EnvironmentName: "Testing", OtlpEndpoint: null, WorkingDirectory: "/repo");

    [Fact]
    public void Resources_start_in_dependency_order()
    {
        var model = Build(new AppHostOptions());

        Assert.Equal(["redis", "postgres", "sinkmanager", "runtime-0", "runtime-1", "scheduler", "compiler", "gateway"], model.Resources.Select(r => r.Name));
    }

    [Fact]
    public void Every_service_gets_the_service_key_and_key_ring_and_the_gateway_its_token_key_and_the_admin_key_file()
    {
        var model = Build(new AppHostOptions { StateDirectory = ".faas" });

        foreach (var project in model.Projects)
        {
            Assert.Equal("/repo/.faas/secrets/service.key", project.Environment["ServiceAuth__KeyFile"]);
            Assert.Equal("/repo/.faas/secrets/metrics.token", project.Environment["Metrics__BearerTokenFile"]);
            Assert.Equal("/repo/.faas/secrets/data-protection", project.Environment["DataProtection__KeyDirectory"]);
        }

        var gateway = Project(model, "gateway");
        Assert.Equal("/repo/.faas/secrets/user-token.key", gateway.Environment["Auth__SigningKeyFile"]);
        Assert.Equal("/repo/.faas/admin.key", gateway.Environment["Auth__BootstrapAdminKeyFile"]);
        Assert.False(Project(model, "scheduler").Environment.ContainsKey("Auth__SigningKeyFile"));
    }

    [Fact]
    public void Compiler_gets_its_parallelism_time_limit_scratch_directory_and_the_stores_and_the_gateway_finds_it()
    {
        var model = Build(new AppHostOptions { StateDirectory = ".faas", Compilers = 3, BuildTimeoutSeconds = 90 });
        var compiler = Project(model, "compiler");

        Assert.Equal("3", compiler.Environment["Builds__MaxParallelBuilds"]);
        Assert.Equal("00:01:30", compiler.Environment["Compiler__BuildTimeout"]);
        Assert.Equal("/repo/.faas/builds", compiler.Environment["Compiler__ScratchRoot"]);
        Assert.Equal(model.GetConnectionString("redis"), compiler.Environment["ConnectionStrings__redis"]);
        Assert.Equal(model.GetConnectionString("faasdb"), compiler.Environment["ConnectionStrings__faasdb"]);
        Assert.Equal(model.GetResource("compiler").GetEndpoint("grpc").Address, Project(model, "gateway").Environment["services__compiler__grpc__0"]);
    }

    [Fact]
    public void Scheduler_gets_the_job_state_directory_and_the_one_shot_runtime_when_the_apphost_has_it()
    {
        var withoutRuntime = Project(Build(new AppHostOptions { StateDirectory = ".faas" }), "scheduler");
        Assert.Equal("/repo/.faas/jobs", withoutRuntime.Environment["Jobs__StateDirectory"]);
        Assert.False(withoutRuntime.Environment.ContainsKey("Jobs__RuntimeDirectory"));

        var catalog = new ServiceProjectCatalog([.. Projects.Projects,
            new ServiceProject("faas-oneshot", "/src/runtimes/Faas.Runtime.OneShot/Faas.Runtime.OneShot.csproj", "/src/runtimes/Faas.Runtime.OneShot/bin/faas-oneshot.dll")]);
        var model = FaasAppModel.Build(new AppHostOptions(), Context, new FakePortAllocator(), catalog);
        var scheduler = Project(model, "scheduler");

        Assert.Equal(model.OneShotRuntime!.OutputDirectory, scheduler.Environment["Jobs__RuntimeDirectory"]);
        Assert.Contains("/.faas/oneshot/", model.OneShotRuntime.OutputDirectory);
    }

    [Fact]
    public void Worker_count_decides_the_runtime_replicas()
    {
        var model = Build(new AppHostOptions { Workers = 3 });

        Assert.Equal(["runtime-0", "runtime-1", "runtime-2"], model.Resources.Select(r => r.Name).Where(n => n.StartsWith("runtime-", StringComparison.Ordinal)));
        var sinkManager = model.GetResource("sinkmanager").GetEndpoint("grpc").Address;
        foreach (var name in new[] { "runtime-0", "runtime-1", "runtime-2" })
        {
            Assert.Equal(sinkManager, Project(model, name).Environment["services__sinkmanager__grpc__0"]);
        }
    }

    [Fact]
    public void Gateway_listens_on_the_configured_ports_with_named_kestrel_endpoints()
    {
        var gateway = Project(Build(new AppHostOptions()), "gateway");

        Assert.Equal("http://127.0.0.1:8080", gateway.Environment["Kestrel__Endpoints__http__Url"]);
        Assert.Equal("Http1", gateway.Environment["Kestrel__Endpoints__http__Protocols"]);
        Assert.Equal("http://127.0.0.1:8081", gateway.Environment["Kestrel__Endpoints__grpc__Url"]);
        Assert.Equal("Http2", gateway.Environment["Kestrel__Endpoints__grpc__Protocols"]);
    }

    [Fact]
    public void Gateway_ports_of_zero_are_picked_freely()
    {
        var model = Build(new AppHostOptions { GatewayHttpPort = 0, GatewayGrpcPort = 0 });

        Assert.InRange(model.GetResource("gateway").GetEndpoint("http").Port, 20000, 20100);
        Assert.InRange(model.GetResource("gateway").GetEndpoint("grpc").Port, 20000, 20100);
    }

    [Fact]
    public void Every_endpoint_gets_its_own_port()
    {
        var ports = Build(new AppHostOptions()).Resources.SelectMany(r => r.Endpoints).Select(e => e.Port).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void Gateway_finds_the_scheduler_the_aspire_way()
    {
        var model = Build(new AppHostOptions());
        var gateway = Project(model, "gateway");
        var scheduler = model.GetResource("scheduler");

        Assert.Equal(scheduler.GetEndpoint("grpc").Address, gateway.Environment["services__scheduler__grpc__0"]);
        Assert.Equal(scheduler.GetEndpoint("http").Address, gateway.Environment["services__scheduler__http__0"]);
    }

    [Fact]
    public void Workers_register_with_the_sink_manager_and_the_scheduler_learns_them_there()
    {
        var model = Build(new AppHostOptions());
        var sinkManager = model.GetResource("sinkmanager").GetEndpoint("grpc").Address;
        var scheduler = Project(model, "scheduler");
        var worker = Project(model, "runtime-1");

        Assert.Equal(sinkManager, scheduler.Environment["services__sinkmanager__grpc__0"]);
        Assert.DoesNotContain(scheduler.Environment.Keys, k => k.StartsWith("services__runtime__", StringComparison.Ordinal));
        Assert.Equal(model.GetResource("runtime-1").GetEndpoint("grpc").Address, worker.Environment["Sink__PushAddress"]);
        Assert.Equal(Project(model, "sinkmanager").Environment["SinkManager__BootstrapCredentialFile"], worker.Environment["Sink__CredentialFile"]);
        var names = model.Resources.Select(r => r.Name).ToList();
        Assert.True(names.IndexOf("sinkmanager") < names.IndexOf("runtime-0"), "the sink manager starts before the workers that register with it");
    }

    [Fact]
    public void Connection_strings_use_npgsql_and_stackexchange_formats()
    {
        var model = Build(new AppHostOptions());
        var redisPort = model.GetResource("redis").GetEndpoint("tcp").Port;
        var postgresPort = model.GetResource("postgres").GetEndpoint("tcp").Port;

        Assert.Equal($"127.0.0.1:{redisPort}", model.GetConnectionString("redis"));
        Assert.Equal($"Host=127.0.0.1;Port={postgresPort};Username=postgres;Database=faas", model.GetConnectionString("faasdb"));
    }

    [Fact]
    public void Each_service_gets_the_connection_strings_it_needs()
    {
        var model = Build(new AppHostOptions());

        foreach (var name in new[] { "scheduler", "compiler", "gateway" })
        {
            var project = Project(model, name);
            Assert.Equal(model.GetConnectionString("redis"), project.Environment["ConnectionStrings__redis"]);
            Assert.Equal(model.GetConnectionString("faasdb"), project.Environment["ConnectionStrings__faasdb"]);
        }

        var worker = Project(model, "runtime-0");
        Assert.Equal(model.GetConnectionString("faasdb"), worker.Environment["ConnectionStrings__faasdb"]);
        Assert.False(worker.Environment.ContainsKey("ConnectionStrings__redis"));
    }

    [Fact]
    public void Workers_get_their_id_and_a_shared_module_cache_under_the_state_directory()
    {
        var model = Build(new AppHostOptions { StateDirectory = ".faas" });

        Assert.Equal("runtime-1", Project(model, "runtime-1").Environment["Runtime__WorkerId"]);
        Assert.Equal("/repo/.faas/cache/modules", Project(model, "runtime-0").Environment["Runtime__CacheDirectory"]);
        Assert.Equal("/repo/.faas/cache/modules", Project(model, "runtime-1").Environment["Runtime__CacheDirectory"]);
    }

    [Fact]
    public void Every_project_gets_service_name_parent_pid_and_environment()
    {
        foreach (var project in Build(new AppHostOptions()).Projects)
        {
            Assert.Equal(project.Name, project.Environment["OTEL_SERVICE_NAME"]);
            Assert.Equal("4242", project.Environment["FAAS_PARENT_PID"]);
            Assert.Equal("Testing", project.Environment["DOTNET_ENVIRONMENT"]);
            Assert.Equal("Testing", project.Environment["ASPNETCORE_ENVIRONMENT"]);
            Assert.False(project.Environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }

    [Fact]
    public void The_otlp_endpoint_is_passed_on_only_when_the_apphost_has_one()
    {
        var model = FaasAppModel.Build(new AppHostOptions(), Context with { OtlpEndpoint = "http://collector:4317" }, new FakePortAllocator(), Projects);

        Assert.All(model.Projects, p => Assert.Equal("http://collector:4317", p.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]));
    }

    [Fact]
    public void External_connection_strings_replace_the_embedded_servers()
    {
        var model = Build(new AppHostOptions { RedisConnectionString = "cache:6379,password=secret", FaasDbConnectionString = "Host=db;Database=faas" });

        Assert.DoesNotContain(model.Resources, r => r.Name is "redis" or "postgres");
        Assert.Equal("cache:6379,password=secret", Project(model, "gateway").Environment["ConnectionStrings__redis"]);
        Assert.Equal("Host=db;Database=faas", Project(model, "scheduler").Environment["ConnectionStrings__faasdb"]);
    }

    [Fact]
    public void Infrastructure_only_is_garnet_and_postgres_without_any_service()
    {
        var model = Build(new AppHostOptions { InfrastructureOnly = true });

        Assert.Equal(["redis", "postgres"], model.Resources.Select(r => r.Name));
        Assert.Empty(model.Projects);
        Assert.Equal($"127.0.0.1:{model.GetResource("redis").GetEndpoint("tcp").Port}", model.GetConnectionString("redis"));
        Assert.StartsWith("Host=127.0.0.1;", model.GetConnectionString("faasdb"), StringComparison.Ordinal);
    }

    [Fact]
    public void Infrastructure_only_needs_no_service_project_in_the_build()
    {
        var model = FaasAppModel.Build(new AppHostOptions { InfrastructureOnly = true }, Context, new FakePortAllocator(), new ServiceProjectCatalog([]));

        Assert.Equal(2, model.Resources.Count);
    }

    [Fact]
    public void Relative_state_directories_resolve_against_the_working_directory()
    {
        var model = Build(new AppHostOptions { StateDirectory = "state" });

        Assert.Equal("/repo/state", model.State.Root);
        Assert.Equal("/repo/state/postgres", ((PostgresResourceDefinition)model.GetResource("postgres")).DataDirectory);
        Assert.Equal("/repo/state/logs/gateway.log", model.State.LogFile("gateway"));
    }

    [Fact]
    public void Projects_run_from_their_own_folder()
    {
        var gateway = Project(Build(new AppHostOptions()), "gateway");

        Assert.Equal("/src/services/Faas.Gateway", gateway.Project.ProjectDirectory);
        Assert.Equal("/src/services/Faas.Gateway/bin/Faas.Gateway.dll", gateway.Project.AssemblyPath);
    }

    [Fact]
    public void A_service_missing_from_the_build_is_a_clear_error()
    {
        var error = Assert.Throws<AppHostConfigurationException>(() =>
            FaasAppModel.Build(new AppHostOptions(), Context, new FakePortAllocator(), new ServiceProjectCatalog([])));

        Assert.Contains("Faas.SinkManager", error.Message);
    }

    [Fact]
    public void The_apphost_build_knows_every_service_project()
    {
        var catalog = ServiceProjectCatalog.FromAppHostAssembly();

        foreach (var name in new[] { "Faas.Gateway", "Faas.Scheduler", "Faas.SinkManager", "Faas.Runtime.Worker" })
        {
            var project = catalog.Get(name);
            Assert.True(File.Exists(project.ProjectPath), project.ProjectPath);
            Assert.EndsWith(name + ".dll", project.AssemblyPath, StringComparison.Ordinal);
        }
    }

    private static FaasAppModel Build(AppHostOptions options) => FaasAppModel.Build(options, Context, new FakePortAllocator(), Projects);

    private static ProjectResourceDefinition Project(FaasAppModel model, string name) => (ProjectResourceDefinition)model.GetResource(name);
}
