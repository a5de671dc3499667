using System.Globalization;
using System.Text;
using Faas.Wasm.Jobs;
using k8s.Models;

namespace Faas.JobSink.Jobs.Kubernetes;

/// <summary>
/// The Kubernetes objects of one JOB-mode invocation: a <c>batch/v1</c> Job running the job runner image
/// once (no retries, a deadline, TTL after finished), and a ConfigMap holding its job folder (request, payload,
/// precompiled module) mounted read-only at <see cref="JobFiles.MountPoint"/>. Labels carry the function and the
/// execution, so a NetworkPolicy selecting <see cref="RoleLabel"/> can deny the pods all traffic (see deploy/k8s).
/// </summary>
public static class KubernetesJobBuilder
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string RoleLabel = "faas.dev/role";
    public const string FunctionLabel = "faas.dev/function";
    public const string FunctionIdLabel = "faas.dev/function-id";
    public const string ExecutionIdLabel = "faas.dev/execution-id";
    public const string ContainerName = "function";

    /// <summary>A ConfigMap holds at most 1 MiB; the job folder must fit (with room for its metadata).</summary>
    public const int MaxFolderBytes = 1000 * 1024;

    public static V1Job BuildJob(string name, JobInvocation invocation, JobOptions options)
    {
        var kubernetes = options.Kubernetes;
        var memory = new ResourceQuantity($"{invocation.MemoryMb + options.MemoryOverheadMb}Mi");
        var cpu = new ResourceQuantity(((int)Math.Ceiling(options.CpuLimit * 1000)).ToString(CultureInfo.InvariantCulture) + "m");
        var deadline = (long)Math.Ceiling((TimeSpan.FromMilliseconds(invocation.TimeoutMs) + options.KillGrace).TotalSeconds);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = kubernetes.Namespace,
                Labels = Labels(invocation),
                Annotations = new Dictionary<string, string> { ["faas.dev/function-name"] = invocation.FunctionName },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                Completions = 1,
                Parallelism = 1,
                // The runtime times the function out itself; this stops a pod that outlives it, from outside.
                ActiveDeadlineSeconds = deadline,
                TtlSecondsAfterFinished = kubernetes.TtlSecondsAfterFinished,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(invocation) },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = Oci.OciSpec.NobodyId,
                            RunAsGroup = Oci.OciSpec.NobodyId,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = ContainerName,
                                Image = kubernetes.Image,
                                Command = ["/bin/" + JobFiles.RunnerExecutable, JobFiles.MountPoint],
                                Resources = new V1ResourceRequirements
                                {
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = memory, ["cpu"] = cpu },
                                    Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = memory, ["cpu"] = cpu },
                                },
                                SecurityContext = new V1SecurityContext
                                {
                                    AllowPrivilegeEscalation = false,
                                    ReadOnlyRootFilesystem = true,
                                    Privileged = false,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                                VolumeMounts = [new V1VolumeMount { Name = "job", MountPath = JobFiles.MountPoint, ReadOnlyProperty = true }],
                            },
                        ],
                        Volumes = [new V1Volume { Name = "job", ConfigMap = new V1ConfigMapVolumeSource { Name = name } }],
                    },
                },
            },
        };
    }

    /// <summary>The job folder as a ConfigMap, owned by the Job (so it goes when the Job goes).</summary>
    /// <exception cref="ArgumentException">The payload and module do not fit in a ConfigMap.</exception>
    public static V1ConfigMap BuildFolder(string name, JobInvocation invocation, JobOptions options, byte[] precompiledModule, V1OwnerReference? owner)
    {
        if (invocation.Secrets.Count > 0)
        {
            // A ConfigMap is readable by anyone who may read the namespace's configuration: no place for secrets.
            throw new ArgumentException(
                "The Kubernetes launcher does not pass function secrets to jobs; run this function in WARM mode, or without secrets.");
        }

        var request = JobFolder.Request(invocation);
        var size = request.Length + invocation.Payload.Length + precompiledModule.Length;
        if (size > MaxFolderBytes)
        {
            throw new ArgumentException(
                $"A Kubernetes job carries its payload and precompiled module in a ConfigMap, at most {MaxFolderBytes} bytes; this one needs {size}.");
        }

        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = options.Kubernetes.Namespace,
                Labels = Labels(invocation),
                OwnerReferences = owner is null ? null : [owner],
            },
            Immutable = true,
            BinaryData = new Dictionary<string, byte[]>
            {
                [JobFiles.Request] = request,
                [JobFiles.Payload] = invocation.Payload.ToArray(),
                [JobFiles.Module] = precompiledModule,
            },
        };
    }

    /// <summary>A Job name (DNS-1123 label): the prefix and a random part, lower case, at most 63 characters.</summary>
    public static string NewName(string prefix) => (prefix + Guid.NewGuid().ToString("N")[..20]).ToLowerInvariant();

    /// <summary>Label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric.</summary>
    public static string LabelValue(string value)
    {
        var text = new StringBuilder(Math.Min(value.Length, 63));
        foreach (var c in value)
        {
            if (text.Length == 63)
            {
                break;
            }

            text.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return text.ToString().Trim('-', '_', '.');
    }

    private static Dictionary<string, string> Labels(JobInvocation invocation) => new()
    {
        [ManagedByLabel] = "faas",
        [RoleLabel] = "job",
        [FunctionLabel] = LabelValue(invocation.FunctionName),
        [FunctionIdLabel] = LabelValue(invocation.FunctionId),
        [ExecutionIdLabel] = LabelValue(invocation.ExecutionId),
    };
}
