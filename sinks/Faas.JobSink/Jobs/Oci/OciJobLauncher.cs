using Faas.Wasm.Jobs;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs.Oci;

/// <summary>
/// Runs each invocation in a fresh runc container: a bundle under <c>&lt;state&gt;/bundles/&lt;id&gt;</c> holding
/// <c>config.json</c> (<see cref="OciSpec"/>) and the job folder, the shared read-only image as root, the cached
/// precompiled module bind-mounted read-only. The function's timeout is enforced inside (the runtime's epoch
/// deadline) and outside (the container is killed at the timeout plus <see cref="JobOptions.KillGrace"/>). Whatever
/// happens, the container and the bundle are removed.
/// </summary>
public sealed partial class OciJobLauncher : IJobLauncher, IDisposable
{
    private readonly JobRunnerBinary runtime;
    private readonly OciRuntimeImage image;
    private readonly Runc runc;
    private readonly JobModules modules;
    private readonly JobOptions options;
    private readonly ILogger<OciJobLauncher> logger;
    private readonly SemaphoreSlim running;
    private readonly PreparedContainers? prepared;

    public OciJobLauncher(
        JobRunnerBinary runtime, OciRuntimeImage image, Runc runc, JobModules modules, IOptions<JobOptions> options, ILogger<OciJobLauncher> logger,
        PreparedContainers? prepared = null)
    {
        this.prepared = prepared;
        this.runtime = runtime;
        this.image = image;
        this.runc = runc;
        this.modules = modules;
        this.options = options.Value;
        this.logger = logger;
        running = new SemaphoreSlim(this.options.MaxRunning);
    }

    /// <summary>How long an invocation waits for a container being prepared before it creates its own.</summary>
    private static readonly TimeSpan PreparedWait = TimeSpan.FromSeconds(2);

    private string Bundles => OciBundles.Root(options);

    public Task<JobLauncherStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        if (runc.Locate() is not { } path)
        {
            return Task.FromResult(new JobLauncherStatus(false, $"no container runtime: runc is not installed (`{options.RuncPath}` not found; Debian package `runc`)"));
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return Task.FromResult(new JobLauncherStatus(false, "no container runtime: runc needs root on this machine and the scheduler does not run as root"));
        }

        return Task.FromResult(runtime.Missing() is { } missing
            ? new JobLauncherStatus(false, missing)
            : new JobLauncherStatus(true, $"runc containers ({path}); job runner in {runtime.Directory}"));
    }

    public async Task<JobRun> RunAsync(JobInvocation invocation, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (!status.Available)
        {
            throw new JobLauncherUnavailableException(status.Description);
        }

        var runcPath = runc.Locate()!;
        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var rootFileSystem = await image.GetAsync(cancellationToken).ConfigureAwait(false);
            var module = await modules.GetAsync(invocation.ModuleSha256, cancellationToken).ConfigureAwait(false);
            var memoryLimit = OciSpec.MemoryLimitBytes(invocation.MemoryMb, options.MemoryOverheadMb);
            if (OperatingSystem.IsLinux() && prepared is not null
                && await prepared.TakeAsync(memoryLimit, runcPath, PreparedWait, cancellationToken).ConfigureAwait(false) is { } container)
            {
                var run = await RunPreparedAsync(container, invocation, module, memoryLimit, runcPath, onStarted, cancellationToken).ConfigureAwait(false);
                if (run is not null)
                {
                    return run;
                }
            }

            var id = OciBundles.NewContainerId(options);
            var bundle = OciBundles.PathOf(options, id);
            onStarted?.Invoke(JobDispatcher.WorkerName(id));
            var removed = false;
            try
            {
                OciBundles.Create(options, id);
                var jobFolder = OciBundles.JobFolderOf(bundle);
                await JobFolder.WriteAsync(jobFolder, invocation, moduleToCopy: null, cancellationToken).ConfigureAwait(false);
                await OciBundles.WriteSpecAsync(bundle, new OciSpecInput
                {
                    ContainerId = id,
                    RootFileSystem = rootFileSystem,
                    JobFolder = jobFolder,
                    ModuleFile = module,
                    MemoryLimitBytes = memoryLimit,
                    CpuLimit = options.CpuLimit,
                    PidsLimit = options.PidsLimit,
                    Annotations = new Dictionary<string, string>
                    {
                        ["faas.function"] = invocation.FunctionName,
                        ["faas.function-id"] = invocation.FunctionId,
                        ["faas.version"] = invocation.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["faas.execution-id"] = invocation.ExecutionId,
                    },
                }, cancellationToken).ConfigureAwait(false);

                var exit = await ContainerProcess.RunAsync(
                    runc.StartInfo(runcPath, "run", "--bundle", bundle, "--no-new-keyring", id),
                    TimeSpan.FromMilliseconds(invocation.TimeoutMs) + options.KillGrace,
                    options.MaxResultBytes,
                    () => runc.ForceDeleteAsync(runcPath, id),
                    cancellationToken).ConfigureAwait(false);
                // runc run removes the container when its process ends, unless runc itself was killed.
                removed = !exit.KilledAtDeadline;
                if (exit.KilledAtDeadline)
                {
                    LogKilledAtDeadline(logger, id, invocation.ExecutionId, invocation.TimeoutMs);
                }

                return ContainerProcess.Interpret(exit, JobDispatcher.WorkerName(id), invocation.TimeoutMs, memoryLimit, memoryKillPossible: true);
            }
            finally
            {
                if (!removed)
                {
                    await runc.ForceDeleteAsync(runcPath, id).ConfigureAwait(false);
                }

                JobFolder.Delete(bundle);
            }
        }
        finally
        {
            running.Release();
        }
    }

    /// <summary>
    /// Runs the invocation in a container prepared ahead: its files into the job folder (the module hard-linked from the
    /// cache), <c>runc start</c>, the result from the container's stdout, its exit status from reaping its process. The
    /// timeout is enforced from outside as on the ordinary path. Null when the container would not start: nothing ran,
    /// and the caller creates one the ordinary way. The container and its bundle are removed after the result is in.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private async Task<JobRun?> RunPreparedAsync(
        PreparedContainer container, JobInvocation invocation, string module, long memoryLimit, string runcPath, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        try
        {
            await JobFolder.WriteAsync(container.JobFolder, invocation, module, cancellationToken, linkModule: true).ConfigureAwait(false);
            if (!Release(container))
            {
                var (started, _, error) = await runc.RunAsync(runcPath, cancellationToken, "start", container.Id).ConfigureAwait(false);
                if (started != 0)
                {
                    LogPreparedDidNotStart(logger, container.Id, error.Trim());
                    return null;
                }
            }

            onStarted?.Invoke(JobDispatcher.WorkerName(container.Id));
            var killed = false;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(TimeSpan.FromMilliseconds(invocation.TimeoutMs) + options.KillGrace);
                try
                {
                    await container.Stdout.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    killed = true;
                    await runc.RunAsync(runcPath, CancellationToken.None, "kill", container.Id, "KILL").ConfigureAwait(false);
                }
            }

            var (output, overflowed) = await container.Stdout.ConfigureAwait(false);
            var stderrTail = await container.Stderr.ConfigureAwait(false);
            // The process has closed its stdout: it has ended or is about to.
            var exitCode = await PreparedContainers.WaitForExitAsync(container, TimeSpan.FromSeconds(5)).ConfigureAwait(false)
                ?? (JobFolder.ParseResult(output) is null ? JobFiles.ExitSetupFailed : 0);
            cancellationToken.ThrowIfCancellationRequested();
            if (killed)
            {
                LogKilledAtDeadline(logger, container.Id, invocation.ExecutionId, invocation.TimeoutMs);
            }

            return ContainerProcess.Interpret(
                new ContainerExit(exitCode, output, overflowed, stderrTail, killed), JobDispatcher.WorkerName(container.Id), invocation.TimeoutMs, memoryLimit, memoryKillPossible: true)
                with { Prepared = true };
        }
        finally
        {
            prepared!.Remove(container, runcPath);
        }
    }

    /// <summary>
    /// Starts a created container the way <c>runc start</c> does, without starting runc: the container's process waits to
    /// write to <c>exec.fifo</c> in runc's state folder and execs the runtime once that is read; the FIFO is then removed,
    /// which tells runc the container runs. False when that cannot be done here (another state layout, the process
    /// gone): then <c>runc start</c> is asked.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private bool Release(PreparedContainer container)
    {
        var fifo = Path.Combine(runc.StateFolder(container.Id), "exec.fifo");
        if (!File.Exists(fifo) || ChildProcesses.ReadFifo(fifo, TimeSpan.FromSeconds(2)) is not { Length: > 0 })
        {
            return false;
        }

        File.Delete(fifo);
        return true;
    }

    /// <summary>
    /// Removes what a scheduler that died mid-run left: containers whose bundle is still in the state
    /// directory, and the bundles. Only this state directory's containers are touched.
    /// </summary>
    public async Task SweepLeftoversAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Bundles) || runc.Locate() is not { } runcPath)
        {
            return;
        }

        foreach (var bundle in Directory.GetDirectories(Bundles))
        {
            var id = Path.GetFileName(bundle);
            if (id.StartsWith(options.ContainerPrefix, StringComparison.Ordinal))
            {
                await runc.ForceDeleteAsync(runcPath, id).ConfigureAwait(false);
                LogLeftoverRemoved(logger, id);
            }

            JobFolder.Delete(bundle);
        }
    }

    public void Dispose() => running.Dispose();

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Container {Container} of execution {ExecutionId} outlived its timeout of {TimeoutMs} ms and was killed")]
    private static partial void LogKilledAtDeadline(ILogger logger, string container, string executionId, int timeoutMs);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Prepared container {Container} did not start ({Reason}); creating one for the invocation instead")]
    private static partial void LogPreparedDidNotStart(ILogger logger, string container, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Removed leftover container {Container} and its bundle")]
    private static partial void LogLeftoverRemoved(ILogger logger, string container);
}
