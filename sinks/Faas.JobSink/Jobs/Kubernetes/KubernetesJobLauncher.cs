using Faas.Wasm.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs.Kubernetes;

/// <summary>
/// Runs each invocation as a Kubernetes <c>batch/v1</c> Job (<see cref="KubernetesJobBuilder"/>): creates the Job and
/// its folder, waits for it to finish, reads the job runner's result from the pod's log, and deletes the Job
/// (its pod and folder with it) whatever happened; the Job's TTL is the backstop.
/// </summary>
public sealed partial class KubernetesJobLauncher(JobModules modules, IOptions<JobOptions> options, ILogger<KubernetesJobLauncher> logger) : IJobLauncher, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Time a pod may take to be scheduled and pulled before its run counts against it.</summary>
    private static readonly TimeSpan StartAllowance = TimeSpan.FromSeconds(60);

    private readonly JobOptions options = options.Value;
    private readonly Lazy<k8s.Kubernetes> client = new(() => new k8s.Kubernetes(Configuration(options.Value.Kubernetes)));

    public Task<JobLauncherStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var kubernetes = options.Kubernetes;
        if (string.IsNullOrWhiteSpace(kubernetes.Image))
        {
            return Task.FromResult(new JobLauncherStatus(false, "Kubernetes launcher without an image (Jobs:Kubernetes:Image, holding /bin/faas-job-runner)"));
        }

        if (!KubernetesClientConfiguration.IsInCluster() && !File.Exists(KubeconfigPath(kubernetes)))
        {
            return Task.FromResult(new JobLauncherStatus(false, $"no Kubernetes cluster configured (not in a cluster, and no kubeconfig at {KubeconfigPath(kubernetes)})"));
        }

        return Task.FromResult(new JobLauncherStatus(true, $"Kubernetes Jobs in namespace {kubernetes.Namespace}, image {kubernetes.Image}"));
    }

    public async Task<JobRun> RunAsync(JobInvocation invocation, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (!status.Available)
        {
            throw new JobLauncherUnavailableException(status.Description);
        }

        var module = await File.ReadAllBytesAsync(await modules.GetAsync(invocation.ModuleSha256, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var name = KubernetesJobBuilder.NewName(options.ContainerPrefix);
        var worker = JobDispatcher.WorkerName(name);
        var ns = options.Kubernetes.Namespace;
        var api = client.Value;
        onStarted?.Invoke(worker);
        try
        {
            var job = await api.BatchV1.CreateNamespacedJobAsync(KubernetesJobBuilder.BuildJob(name, invocation, options), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var owner = new V1OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = name, Uid = job.Metadata.Uid, BlockOwnerDeletion = true };
            await api.CoreV1.CreateNamespacedConfigMapAsync(
                KubernetesJobBuilder.BuildFolder(name, invocation, options, module, owner), ns, cancellationToken: cancellationToken).ConfigureAwait(false);

            var limit = TimeSpan.FromMilliseconds(invocation.TimeoutMs) + options.KillGrace + StartAllowance;
            var finished = await WaitAsync(api, name, ns, limit, cancellationToken).ConfigureAwait(false);
            var pod = (await api.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"job-name={name}", cancellationToken: cancellationToken).ConfigureAwait(false)).Items.FirstOrDefault();
            var terminated = pod?.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Terminated;
            if (finished?.Status?.Conditions?.Any(c => c.Type == "Failed" && c.Reason == "DeadlineExceeded") == true || finished is null)
            {
                return new JobRun { Outcome = ExecutionOutcome.Timeout, Error = $"timed out after {invocation.TimeoutMs} ms; the Job was stopped at its deadline", Container = worker };
            }

            if (terminated?.Reason == "OOMKilled")
            {
                return new JobRun { Outcome = ExecutionOutcome.OutOfMemory, Error = $"killed at the pod's memory limit of {invocation.MemoryMb + options.MemoryOverheadMb} MiB", Container = worker };
            }

            var log = pod is null ? "" : await ReadLogAsync(api, pod.Metadata.Name, ns, cancellationToken).ConfigureAwait(false);
            // The log interleaves stderr (the runtime's own diagnostics) with stdout (the result, one JSON line).
            var resultLine = log.Split('\n').LastOrDefault(l => l.StartsWith('{')) ?? "";
            var exit = new ContainerExit(terminated?.ExitCode ?? -1, System.Text.Encoding.UTF8.GetBytes(resultLine), false, log.Length > 4096 ? log[^4096..] : log, false);
            return ContainerProcess.Interpret(exit, worker, invocation.TimeoutMs, 0, memoryKillPossible: false);
        }
        catch (HttpOperationException ex)
        {
            throw new JobFailedException(worker, $"Kubernetes refused the Job: {ex.Response?.Content ?? ex.Message}", ex);
        }
        finally
        {
            await DeleteAsync(api, name, ns).ConfigureAwait(false);
        }
    }

    /// <summary>The Job once it has succeeded or failed; null at <paramref name="limit"/>.</summary>
    private static async Task<V1Job?> WaitAsync(k8s.Kubernetes api, string name, string ns, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            var job = await api.BatchV1.ReadNamespacedJobStatusAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (job.Status?.Succeeded > 0 || job.Status?.Failed > 0)
            {
                return job;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static async Task<string> ReadLogAsync(k8s.Kubernetes api, string pod, string ns, CancellationToken cancellationToken)
    {
        await using var stream = await api.CoreV1.ReadNamespacedPodLogAsync(pod, ns, container: KubernetesJobBuilder.ContainerName, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteAsync(k8s.Kubernetes api, string name, string ns)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await api.BatchV1.DeleteNamespacedJobAsync(name, ns, propagationPolicy: "Background", cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            // The TTL after finished removes it later.
            LogDeleteFailed(logger, name, ex.Message);
        }
    }

    private static string KubeconfigPath(KubernetesJobOptions options) =>
        string.IsNullOrWhiteSpace(options.KubeconfigPath) ? KubernetesClientConfiguration.KubeConfigDefaultLocation : options.KubeconfigPath;

    private static KubernetesClientConfiguration Configuration(KubernetesJobOptions options) =>
        KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath(options));

    public void Dispose()
    {
        if (client.IsValueCreated)
        {
            client.Value.Dispose();
        }
    }

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Could not delete Kubernetes Job {Job}; its TTL will: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string job, string reason);
}
