using System.Text.Json.Nodes;
using Faas.JobSink.Jobs.Oci;

namespace Faas.JobSink.Tests.Unit;

public sealed class OciSpecTests
{
    private static JsonObject Spec(Action<OciSpecInput>? _ = null) => OciSpec.Build(new OciSpecInput
    {
        ContainerId = "faas-job-1",
        RootFileSystem = "/state/image/abc",
        JobFolder = "/state/bundles/faas-job-1/job",
        ModuleFile = "/state/modules/m.cwasm",
        MemoryLimitBytes = OciSpec.MemoryLimitBytes(128, 64),
        CpuLimit = 0.5,
        PidsLimit = 32,
        Annotations = new Dictionary<string, string> { ["faas.execution-id"] = "e-1", ["faas.function"] = "echo" },
    });

    [Fact]
    public void Root_file_system_is_read_only()
    {
        var root = Spec()["root"]!;
        Assert.Equal("/state/image/abc", (string?)root["path"]);
        Assert.True((bool)root["readonly"]!);
    }

    [Fact]
    public void Container_has_its_own_network_namespace_so_no_network()
    {
        var namespaces = Spec()["linux"]!["namespaces"]!.AsArray().Select(n => (string?)n!["type"]).ToList();
        Assert.Contains("network", namespaces);
        Assert.Contains("pid", namespaces);
        Assert.Contains("mount", namespaces);
        Assert.DoesNotContain("user", namespaces);
    }

    [Fact]
    public void Limits_come_from_the_function_config_and_the_launcher_options()
    {
        var resources = Spec()["linux"]!["resources"]!;
        Assert.Equal(192L * 1024 * 1024, (long)resources["memory"]!["limit"]!);
        Assert.Equal(50_000L, (long)resources["cpu"]!["quota"]!);
        Assert.Equal(OciSpec.CpuPeriodMicros, (long)resources["cpu"]!["period"]!);
        Assert.Equal(32, (int)resources["pids"]!["limit"]!);
    }

    [Fact]
    public void Process_is_unprivileged_without_capabilities_or_a_terminal()
    {
        var process = Spec()["process"]!;
        Assert.Equal(OciSpec.NobodyId, (int)process["user"]!["uid"]!);
        Assert.True((bool)process["noNewPrivileges"]!);
        Assert.False((bool)process["terminal"]!);
        foreach (var set in new[] { "bounding", "effective", "permitted", "ambient" })
        {
            Assert.Empty(process["capabilities"]![set]!.AsArray());
        }
    }

    [Fact]
    public void Job_folder_and_module_are_mounted_read_only()
    {
        var mounts = Spec()["mounts"]!.AsArray();
        var job = mounts.Single(m => (string?)m!["destination"] == "/job")!;
        Assert.Equal("/state/bundles/faas-job-1/job", (string?)job["source"]);
        Assert.Contains("ro", job["options"]!.AsArray().Select(o => (string?)o));
        var module = mounts.Single(m => (string?)m!["destination"] == "/job/module.cwasm")!;
        Assert.Equal("/state/modules/m.cwasm", (string?)module["source"]);
        Assert.Contains("ro", module["options"]!.AsArray().Select(o => (string?)o));
    }

    [Fact]
    public void Runs_the_one_shot_runtime_on_the_job_folder_by_default()
    {
        var args = Spec()["process"]!["args"]!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Equal(["/bin/faas-job-runner", "/job"], args);
    }

    [Fact]
    public void Annotations_name_the_function_and_execution()
    {
        var annotations = Spec()["annotations"]!;
        Assert.Equal("e-1", (string?)annotations["faas.execution-id"]);
        Assert.Equal("echo", (string?)annotations["faas.function"]);
    }

    [Fact]
    public void Ldd_output_gives_absolute_library_paths()
    {
        const string Output = """
                linux-vdso.so.1 (0x00007ffd)
                libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f87)
                libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f87)
                /lib64/ld-linux-x86-64.so.2 (0x00007f87)
            """;
        Assert.Equal(
            ["/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"],
            OciRuntimeImage.ParseLdd(Output));
    }

    [Fact]
    public void A_container_prepared_ahead_mounts_only_its_job_folder_read_only_which_gets_the_module_later()
    {
        var spec = OciSpec.Build(new OciSpecInput
        {
            ContainerId = "faas-job-2",
            RootFileSystem = "/state/image/abc",
            JobFolder = "/state/bundles/faas-job-2/job",
            MemoryLimitBytes = OciSpec.MemoryLimitBytes(128, 64),
            CpuLimit = 0.5,
            PidsLimit = 32,
        });

        var binds = spec["mounts"]!.AsArray().Where(m => (string?)m!["type"] == "bind").ToList();
        var job = Assert.Single(binds)!;
        Assert.Equal("/state/bundles/faas-job-2/job", (string?)job["source"]);
        Assert.Contains("ro", job["options"]!.AsArray().Select(o => (string?)o));
    }
}
