using System.Text.Json.Nodes;
using Faas.Wasm.Jobs;

namespace Faas.JobSink.Jobs.Oci;

/// <summary>What goes into one container's <c>config.json</c>.</summary>
public sealed record OciSpecInput
{
    public required string ContainerId { get; init; }

    /// <summary>The shared read-only root file system (<see cref="OciRuntimeImage"/>).</summary>
    public required string RootFileSystem { get; init; }

    /// <summary>The invocation's folder, mounted read-only at <see cref="JobFiles.MountPoint"/>.</summary>
    public required string JobFolder { get; init; }

    /// <summary>
    /// The cached precompiled module, mounted read-only over the folder's placeholder; null for a container prepared
    /// ahead of its invocation, whose job folder receives the module (a hard link) before it starts.
    /// </summary>
    public string? ModuleFile { get; init; }

    public required long MemoryLimitBytes { get; init; }

    public required double CpuLimit { get; init; }

    public required int PidsLimit { get; init; }

    /// <summary>The command; the job runner reading <see cref="JobFiles.MountPoint"/> unless given.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>Annotations naming the function and execution (visible in <c>runc state</c>).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Builds an OCI runtime spec (config.json) for the job runner: read-only root, no network (a network
/// namespace with nothing in it), its own pid, ipc, uts, mount and cgroup namespaces, an unprivileged user
/// with no capabilities and no new privileges, the memory, CPU and pids limits, no devices beyond runc's defaults.
/// </summary>
public static class OciSpec
{
    public const int NobodyId = 65534;
    public const long CpuPeriodMicros = 100_000;

    public static JsonObject Build(OciSpecInput input) => new()
    {
        ["ociVersion"] = "1.0.2",
        ["process"] = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = NobodyId, ["gid"] = NobodyId },
            ["args"] = new JsonArray([.. (input.Args ?? ["/bin/" + JobFiles.RunnerExecutable, JobFiles.MountPoint]).Select(a => (JsonNode)a)]),
            ["env"] = new JsonArray("PATH=/bin"),
            ["cwd"] = "/",
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = new JsonArray(),
                ["effective"] = new JsonArray(),
                ["permitted"] = new JsonArray(),
                ["ambient"] = new JsonArray(),
            },
            ["rlimits"] = new JsonArray(
                new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 64, ["soft"] = 64 },
                new JsonObject { ["type"] = "RLIMIT_CORE", ["hard"] = 0, ["soft"] = 0 }),
            ["noNewPrivileges"] = true,
        },
        ["root"] = new JsonObject { ["path"] = input.RootFileSystem, ["readonly"] = true },
        ["hostname"] = "faas-job",
        ["mounts"] = Mounts(input),
        ["annotations"] = ToObject(input.Annotations),
        ["linux"] = new JsonObject
        {
            ["resources"] = new JsonObject
            {
                ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
                ["memory"] = new JsonObject { ["limit"] = input.MemoryLimitBytes },
                ["cpu"] = new JsonObject
                {
                    ["quota"] = (long)Math.Max(1000, Math.Round(input.CpuLimit * CpuPeriodMicros)),
                    ["period"] = CpuPeriodMicros,
                },
                ["pids"] = new JsonObject { ["limit"] = input.PidsLimit },
            },
            ["namespaces"] = new JsonArray(
                new JsonObject { ["type"] = "pid" },
                new JsonObject { ["type"] = "network" },
                new JsonObject { ["type"] = "ipc" },
                new JsonObject { ["type"] = "uts" },
                new JsonObject { ["type"] = "mount" },
                new JsonObject { ["type"] = "cgroup" }),
            ["maskedPaths"] = new JsonArray(
                "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware"),
            ["readonlyPaths"] = new JsonArray("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
        },
    };

    private static JsonArray Mounts(OciSpecInput input)
    {
        var mounts = new JsonArray(
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc", ["options"] = new JsonArray("nosuid", "noexec", "nodev") },
            new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "noexec", "strictatime", "mode=755", "size=64k") },
            // Not noexec: Wasmtime maps the precompiled code executable.
            new JsonObject { ["destination"] = JobFiles.MountPoint, ["type"] = "bind", ["source"] = input.JobFolder, ["options"] = new JsonArray("rbind", "ro", "nosuid", "nodev") });
        if (input.ModuleFile is not null)
        {
            mounts.Add(new JsonObject { ["destination"] = $"{JobFiles.MountPoint}/{JobFiles.Module}", ["type"] = "bind", ["source"] = input.ModuleFile, ["options"] = new JsonArray("bind", "ro", "nosuid", "nodev") });
        }

        return mounts;
    }

    /// <summary>The container's memory limit: the function's linear memory plus the runtime's own.</summary>
    public static long MemoryLimitBytes(int functionMemoryMb, int overheadMb) =>
        (long)(functionMemoryMb + overheadMb) * 1024 * 1024;

    private static JsonObject ToObject(IReadOnlyDictionary<string, string> values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }
}
