using Faas.JobSink.Jobs.Kubernetes;
using Faas.JobSink.Jobs.Oci;
using Faas.JobSink.Jobs.Processes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs;

public static class JobServices
{
    /// <summary>
    /// Registers JOB mode: <see cref="JobOptions"/> (section "Jobs"), the launcher chosen by <see cref="JobOptions.Launcher"/>
    /// (runc by default, or Kubernetes Jobs; a process launcher only when configured), its health check entry and its start-up sweep.
    /// </summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobOptions>().BindConfiguration(JobOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<JobRunnerBinary>();
        builder.Services.AddSingleton<JobModules>();
        builder.Services.AddSingleton<OciRuntimeImage>();
        builder.Services.AddSingleton<Runc>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PreparedContainers>();
        builder.Services.AddSingleton<OciJobLauncher>();
        builder.Services.AddSingleton<ProcessJobLauncher>();
        builder.Services.AddSingleton<KubernetesJobLauncher>();
        builder.Services.AddSingleton<IJobLauncher>(services => services.GetRequiredService<IOptions<JobOptions>>().Value.Launcher switch
        {
            JobLauncherKind.Process => services.GetRequiredService<ProcessJobLauncher>(),
            JobLauncherKind.Kubernetes => services.GetRequiredService<KubernetesJobLauncher>(),
            _ => services.GetRequiredService<OciJobLauncher>(),
        });
        builder.Services.AddSingleton<JobDispatcher>();
        builder.Services.AddHostedService<JobLauncherStartup>();
        builder.Services.AddHealthChecks().AddCheck<JobLauncherHealthCheck>(JobLauncherHealthCheck.Name);
        return builder;
    }

    /// <summary>Maps <c>GET /jobs/status</c>: the launcher's availability (<c>available</c>, <c>description</c>), read by the AppHost's dashboard.</summary>
    public static WebApplication MapJobStatus(this WebApplication app)
    {
        app.MapGet("/jobs/status", async (IJobLauncher launcher, CancellationToken cancellationToken) =>
            TypedResults.Ok(await launcher.GetStatusAsync(cancellationToken).ConfigureAwait(false)));
        return app;
    }
}
