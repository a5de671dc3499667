using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs.Processes;

/// <summary>
/// Runs each invocation as a fresh job runner process, WITHOUT a container: no namespaces and no
/// cgroup limits (the runtime's own memory and time limits still apply, and the process is killed at the
/// timeout plus a grace). Used only when an operator sets <c>Jobs:Launcher=Process</c>; never a fallback.
/// </summary>
public sealed class ProcessJobLauncher(JobRunnerBinary runtime, JobModules modules, IOptions<JobOptions> options) : IJobLauncher
{
    private readonly JobOptions options = options.Value;

    public Task<JobLauncherStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        Task.FromResult(runtime.Missing() is { } missing
            ? new JobLauncherStatus(false, missing)
            : new JobLauncherStatus(true, $"plain processes WITHOUT container isolation (Jobs:Launcher=Process); job runner in {runtime.Directory}"));

    public async Task<JobRun> RunAsync(JobInvocation invocation, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        if (runtime.Missing() is { } missing)
        {
            throw new JobLauncherUnavailableException(missing);
        }

        var module = await modules.GetAsync(invocation.ModuleSha256, cancellationToken).ConfigureAwait(false);
        var id = options.ContainerPrefix + Guid.NewGuid().ToString("N")[..20];
        var folder = Path.Combine(options.StateDirectory, "bundles", id);
        onStarted?.Invoke(JobDispatcher.WorkerName(id));
        try
        {
            FileModes.CreatePrivateFolder(Path.GetDirectoryName(folder)!);
            await JobFolder.WriteAsync(folder, invocation, moduleToCopy: module, cancellationToken).ConfigureAwait(false);
            var start = new ProcessStartInfo(runtime.Executable)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(folder);
            var exit = await ContainerProcess.RunAsync(
                start,
                TimeSpan.FromMilliseconds(invocation.TimeoutMs) + options.KillGrace,
                options.MaxResultBytes,
                () => Task.CompletedTask,
                cancellationToken).ConfigureAwait(false);
            return ContainerProcess.Interpret(exit, JobDispatcher.WorkerName(id), invocation.TimeoutMs, 0, memoryKillPossible: false);
        }
        finally
        {
            JobFolder.Delete(folder);
        }
    }
}
