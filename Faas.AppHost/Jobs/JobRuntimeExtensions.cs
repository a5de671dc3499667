using Faas.AppHost.Hosting;

namespace Faas.AppHost.Jobs;

public static class JobRuntimeExtensions
{
    /// <summary>
    /// Gives the job sink JOB mode's one-shot runtime, publishing it with NativeAOT in the background when it is not
    /// there yet (about a minute, first start only): the mesh comes up meanwhile, JOB-mode invocations say the runtime
    /// is missing until it is done, and the job sink sees the files appear.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithJobRuntime(this IResourceBuilder<ExecutableResource> jobs, AppHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(settings);
        var build = settings.OneShotRuntime;
        jobs.WithEnvironment("Jobs__RuntimeDirectory", build.OutputDirectory);
        if (settings.Options.PublishJobRuntime && !build.IsPublished)
        {
            jobs.ApplicationBuilder.Services.AddHostedService(sp => new OneShotRuntimePublisher(build, sp.GetRequiredService<ILogger<OneShotRuntimePublisher>>()));
        }

        return jobs;
    }
}
