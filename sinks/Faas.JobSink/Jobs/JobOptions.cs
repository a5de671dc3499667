using System.ComponentModel.DataAnnotations;

namespace Faas.JobSink.Jobs;

/// <summary>Which launcher runs JOB-mode invocations.</summary>
public enum JobLauncherKind
{
    /// <summary>An OCI bundle run by <c>runc</c>: a fresh container per invocation (default).</summary>
    Oci,

    /// <summary>A Kubernetes <c>batch/v1</c> Job per invocation.</summary>
    Kubernetes,

    /// <summary>
    /// The job runner as a plain child process: a fresh process per invocation but NO container isolation.
    /// Only for machines without a container runtime, and only when an operator asks for it.
    /// </summary>
    Process,
}

/// <summary>JOB-mode settings of the scheduler (section "Jobs").</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    public JobLauncherKind Launcher { get; set; } = JobLauncherKind.Oci;

    /// <summary>
    /// Folder of the NativeAOT-published job runner (<c>faas-job-runner</c> and <c>libwasmtime.so</c>);
    /// the AppHost publishes it into its state directory and sets this.
    /// </summary>
    public string? RunnerDirectory { get; set; }

    /// <summary>Where bundles, the container image and precompiled modules live.</summary>
    [Required]
    public string StateDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "faas", "jobs");

    /// <summary>The runc executable (a name on PATH or a path).</summary>
    [Required]
    public string RuncPath { get; set; } = "runc";

    /// <summary>runc's state root (<c>--root</c>); runc's own default when empty.</summary>
    public string? RuncRoot { get; set; }

    /// <summary>Container ids start with this, so leftovers are recognisable.</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,30}$")]
    public string ContainerPrefix { get; set; } = "faas-job-";

    /// <summary>Added to a function's <c>memoryMb</c> for the container's memory limit: the runtime's own code and heap.</summary>
    [Range(16, 4096)]
    public int MemoryOverheadMb { get; set; } = 64;

    /// <summary>CPU a container may use, in cores (CFS quota).</summary>
    [Range(0.05, 64)]
    public double CpuLimit { get; set; } = 1;

    /// <summary>Processes and threads a container may have: the runtime needs a handful, a fork bomb gets no further.</summary>
    [Range(8, 4096)]
    public int PidsLimit { get; set; } = 32;

    /// <summary>Added to a function's timeout before the container is killed from outside (the runtime times the function out itself first).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan KillGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Containers running at once on this scheduler; further JOB invocations wait.</summary>
    [Range(1, 10_000)]
    public int MaxRunning { get; set; } = 64;

    /// <summary>Most bytes of a result document read from a container (the function's output, base64, plus a little).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxResultBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Containers created ahead of invocations (runc launcher) for each container size in use, so an invocation only
    /// starts one; each still serves one invocation. 0 creates every container when its invocation arrives.
    /// </summary>
    [Range(0, 64)]
    public int PreparedContainers { get; set; } = 2;

    /// <summary>Most container sizes (memory limits) kept prepared at once; the least recently used size goes first.</summary>
    [Range(1, 64)]
    public int PreparedShapes { get; set; } = 4;

    /// <summary>A container size not used for this long has its prepared containers removed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PreparedIdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public KubernetesJobOptions Kubernetes { get; set; } = new();
}

/// <summary>Settings of the Kubernetes launcher (section "Jobs:Kubernetes").</summary>
public sealed class KubernetesJobOptions
{
    /// <summary>Namespace the Jobs are created in.</summary>
    [Required]
    public string Namespace { get; set; } = "faas-jobs";

    /// <summary>Image holding <c>/bin/faas-job-runner</c> and <c>libwasmtime.so</c> (see deploy/k8s).</summary>
    public string? Image { get; set; }

    /// <summary>Kubeconfig file; in-cluster configuration or the default kubeconfig when empty.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>How long a finished Job stays before Kubernetes removes it.</summary>
    [Range(0, 86_400)]
    public int TtlSecondsAfterFinished { get; set; } = 60;
}
