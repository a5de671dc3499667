using Faas.AppHost.Hosting;

namespace Faas.AppHost.Jobs;

public static class JobRunnerExtensions
{
    /// <summary>
    /// Gives the job sink JOB mode's job runner, publishing it with NativeAOT in the background when it is not
    /// there yet (about a minute, first start only): the mesh comes up meanwhile, JOB-mode invocations say the job runner
    /// is missing until it is done, and the job sink sees the files appear.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithJobRunner(this IResourceBuilder<ExecutableResource> jobs, AppHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(settings);
        var build = settings.JobRunnerBinary;
        jobs.WithEnvironment("Jobs__RunnerDirectory", build.OutputDirectory);
        if (settings.Options.PublishJobRunner && !build.IsPublished)
        {
            jobs.ApplicationBuilder.Services.AddHostedService(sp => new JobRunnerPublisher(build, sp.GetRequiredService<ILogger<JobRunnerPublisher>>()));
        }

        return jobs;
    }
}
