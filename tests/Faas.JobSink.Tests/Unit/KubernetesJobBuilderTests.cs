using System.Text;
using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Kubernetes;
using k8s.Models;

namespace Faas.JobSink.Tests.Unit;

public sealed class KubernetesJobBuilderTests
{
    private static readonly JobOptions Options = new()
    {
        MemoryOverheadMb = 64,
        CpuLimit = 0.5,
        KillGrace = TimeSpan.FromSeconds(2),
        Kubernetes = new KubernetesJobOptions { Namespace = "faas-jobs", Image = "registry.local/faas-job-runner:1", TtlSecondsAfterFinished = 60 },
    };

    private static readonly JobInvocation Invocation = new()
    {
        ExecutionId = "01a20924-df21-741e-ab9e-8c273c9dc08e",
        FunctionName = "Echo Function",
        FunctionId = "f-1",
        Version = 3,
        ModuleSha256 = new string('a', 64),
        TimeoutMs = 1500,
        MemoryMb = 128,
        Payload = Encoding.UTF8.GetBytes("hello"),
    };

    private static V1Job Job => KubernetesJobBuilder.BuildJob("faas-job-abc", Invocation, Options);

    private static V1Container Container => Job.Spec.Template.Spec.Containers.Single();

    [Fact]
    public void Job_runs_once_with_a_deadline_and_a_ttl()
    {
        var spec = Job.Spec;
        Assert.Equal("batch/v1", Job.ApiVersion);
        Assert.Equal(0, spec.BackoffLimit);
        Assert.Equal("Never", spec.Template.Spec.RestartPolicy);
        Assert.Equal(4, spec.ActiveDeadlineSeconds); // 1.5 s timeout + 2 s grace, rounded up
        Assert.Equal(60, spec.TtlSecondsAfterFinished);
        Assert.Equal("faas-jobs", Job.Metadata.NamespaceProperty);
    }

    [Fact]
    public void Labels_carry_the_function_and_the_execution()
    {
        foreach (var labels in new[] { Job.Metadata.Labels, Job.Spec.Template.Metadata.Labels })
        {
            Assert.Equal("Echo_Function", labels[KubernetesJobBuilder.FunctionLabel]);
            Assert.Equal("f-1", labels[KubernetesJobBuilder.FunctionIdLabel]);
            Assert.Equal(Invocation.ExecutionId, labels[KubernetesJobBuilder.ExecutionIdLabel]);
            Assert.Equal("job", labels[KubernetesJobBuilder.RoleLabel]);
        }
    }

    [Fact]
    public void Limits_match_the_function_config()
    {
        var resources = Container.Resources;
        Assert.Equal("192Mi", resources.Limits["memory"].ToString());
        Assert.Equal("500m", resources.Limits["cpu"].ToString());
        Assert.Equal(resources.Limits["memory"].ToString(), resources.Requests["memory"].ToString());
    }

    [Fact]
    public void Pod_is_locked_down()
    {
        var pod = Job.Spec.Template.Spec;
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        var container = Container.SecurityContext;
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.False(container.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], container.Capabilities.Drop);
    }

    [Fact]
    public void Runs_the_one_shot_runtime_on_the_folder_mounted_read_only()
    {
        Assert.Equal("registry.local/faas-job-runner:1", Container.Image);
        Assert.Equal(["/bin/faas-job-runner", "/job"], Container.Command);
        var mount = Container.VolumeMounts.Single();
        Assert.Equal("/job", mount.MountPath);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("faas-job-abc", Job.Spec.Template.Spec.Volumes.Single().ConfigMap.Name);
    }

    [Fact]
    public void Folder_holds_request_payload_and_module_and_belongs_to_the_job()
    {
        var owner = new V1OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = "faas-job-abc", Uid = "u-1" };
        var folder = KubernetesJobBuilder.BuildFolder("faas-job-abc", Invocation, Options, [1, 2, 3], owner);

        Assert.Equal("hello", Encoding.UTF8.GetString(folder.BinaryData["payload"]));
        Assert.Equal([1, 2, 3], folder.BinaryData["module.cwasm"]);
        Assert.Contains("\"executionId\":\"01a20924-df21-741e-ab9e-8c273c9dc08e\"", Encoding.UTF8.GetString(folder.BinaryData["request.json"]));
        Assert.Equal("u-1", folder.Metadata.OwnerReferences.Single().Uid);
        Assert.True(folder.Immutable);
    }

    [Fact]
    public void A_folder_over_the_config_map_limit_is_refused_plainly()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            KubernetesJobBuilder.BuildFolder("faas-job-abc", Invocation, Options, new byte[KubernetesJobBuilder.MaxFolderBytes], null));
        Assert.Contains("ConfigMap", error.Message);
    }

    [Fact]
    public void Secrets_never_go_into_a_config_map()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            KubernetesJobBuilder.BuildFolder("faas-job-abc", Invocation with { Secrets = new Dictionary<string, string> { ["TOKEN"] = "x" } }, Options, [1], null));
        Assert.Contains("secrets", error.Message);
    }

    [Fact]
    public void Names_and_label_values_are_valid_for_kubernetes()
    {
        var name = KubernetesJobBuilder.NewName("Faas-Job-");
        Assert.Matches("^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$", name);
        Assert.Equal(63, KubernetesJobBuilder.LabelValue(new string('x', 100)).Length);
        Assert.Equal("a_b", KubernetesJobBuilder.LabelValue("-a/b-"));
    }
}
