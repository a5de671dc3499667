using System.Text;
using Faas.Wasm.Execution;
using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Kubernetes;
using Faas.Storage.Postgres;
using Faas.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Faas.JobSink.Tests.Integration;

/// <summary>The Kubernetes launcher against a real cluster; skipped (and says so) where none is configured.</summary>
[Trait("Category", "Integration")]
public sealed class KubernetesLauncherTests
{
    [KubernetesFact]
    public async Task Echo_runs_as_a_kubernetes_job_and_the_job_is_deleted()
    {
        // Modules come from a real artifact store, like the scheduler's.
        await using var app = await FaasTestingBuilder.Create(o => o.InfrastructureOnly = true).BuildAsync();
        await app.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var artifacts = new ArtifactStore(dataSource);
        var wasm = Wasmtime.Module.ConvertText(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Functions", "echo.wat")));
        var sha = await artifacts.PutAsync(wasm, CancellationToken.None);

        var options = Options.Create(new JobOptions
        {
            Launcher = JobLauncherKind.Kubernetes,
            StateDirectory = Path.Combine(app.StateDirectory, "jobs"),
            Kubernetes = new KubernetesJobOptions { Image = KubernetesFactAttribute.Image, KubeconfigPath = KubernetesFactAttribute.Kubeconfig },
        });
        using var modules = new JobModules(artifacts, options, NullLogger<JobModules>.Instance);
        using var launcher = new KubernetesJobLauncher(modules, options, NullLogger<KubernetesJobLauncher>.Instance);

        var run = await launcher.RunAsync(new JobInvocation
        {
            ExecutionId = Guid.CreateVersion7().ToString(),
            FunctionName = "echo",
            ModuleSha256 = sha,
            TimeoutMs = 10_000,
            MemoryMb = 32,
            Payload = Encoding.UTF8.GetBytes("hello"),
        }, null, CancellationToken.None);

        Assert.Equal(ExecutionOutcome.Ok, run.Outcome);
        Assert.Equal("hello", Encoding.UTF8.GetString(run.Output.Span));
    }
}
