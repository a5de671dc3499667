using System.Text;
using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Oci;

namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// The container every job runs in, checked with a shell in place of the job runner: the same spec
/// (<see cref="OciSpec"/>), read-only root holding only what the image puts there, no network, pids limit.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RuncIsolationTests : IAsyncLifetime
{
    private readonly List<string> started = [];
    private readonly string root = Path.Combine(Path.GetTempPath(), "faas-jobs-tests-" + Guid.NewGuid().ToString("N")[..8]);

    private string Image => Path.Combine(root, "image");

    public async Task InitializeAsync()
    {
        // A minimal image: dash as /bin/sh with the libraries it loads, and the mount points.
        foreach (var folder in new[] { "bin", "proc", "dev", "job" })
        {
            Directory.CreateDirectory(Path.Combine(Image, folder));
        }

        File.Copy("/bin/dash", Path.Combine(Image, "bin", "sh"));
        var ldd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ldd", "/bin/dash") { RedirectStandardOutput = true })!;
        var output = await ldd.StandardOutput.ReadToEndAsync();
        await ldd.WaitForExitAsync();
        foreach (var library in OciRuntimeImage.ParseLdd(output))
        {
            var target = Path.Combine(Image, library.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(library, target);
        }
    }

    public async Task DisposeAsync()
    {
        // Only a failed test leaves one; the tests themselves check that none is left.
        foreach (var id in started)
        {
            await Containers.Runc.ForceDeleteAsync(Containers.RuncPath, id);
        }

        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Host_file_system_is_invisible_and_the_root_is_read_only()
    {
        var (exit, stdout, _) = await RunShellAsync(
            "[ -e /etc/passwd ] && echo passwd-visible; [ -e /root ] && echo root-visible; [ -e /usr ] && echo usr-visible; " +
            "(echo x > /written) 2>/dev/null && echo root-writable; (echo x > /job/written) 2>/dev/null && echo job-writable; echo done");
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("done", stdout.Trim());
    }

    [Fact]
    public async Task There_is_no_network_but_loopback()
    {
        var (exit, stdout, _) = await RunShellAsync("while read line; do echo \"$line\"; done < /proc/net/dev");
        Assert.Equal(0, exit.ExitCode);
        var interfaces = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(["lo"], interfaces);
    }

    [Fact]
    public async Task A_fork_bomb_hits_the_pids_limit_and_the_container_is_gone_afterwards()
    {
        // The bomb forks in a background subshell, started while pids are plenty; the container's first shell only spins, so it
        // never meets the limit itself (a shell that cannot fork exits, which would end the container before its deadline).
        var (exit, _, container) = await RunShellAsync("(f(){ f | f & }; f) & while :; do :; done", limit: TimeSpan.FromSeconds(3), pidsLimit: 16);
        Assert.True(exit.KilledAtDeadline, "the bomb spins until the deadline");
        Assert.Contains("Cannot fork", exit.StderrTail);
        Assert.DoesNotContain(container, await Containers.LeftAsync(Containers.IsolationPrefix));
    }

    [Fact]
    public async Task An_infinite_loop_is_killed_from_outside_and_the_container_is_gone()
    {
        var (exit, _, container) = await RunShellAsync("while :; do :; done", limit: TimeSpan.FromSeconds(1));
        Assert.True(exit.KilledAtDeadline);
        Assert.DoesNotContain(container, await Containers.LeftAsync(Containers.IsolationPrefix));
    }

    private async Task<(ContainerExit Exit, string Stdout, string Container)> RunShellAsync(string script, TimeSpan? limit = null, int pidsLimit = 32)
    {
        var id = Containers.IsolationPrefix + Guid.NewGuid().ToString("N")[..12];
        var bundle = Path.Combine(root, "bundles", id);
        var job = Path.Combine(bundle, "job");
        Directory.CreateDirectory(job);
        var module = Path.Combine(job, "module.cwasm");
        await File.WriteAllBytesAsync(module, []);
        var spec = OciSpec.Build(new OciSpecInput
        {
            ContainerId = id,
            RootFileSystem = Image,
            JobFolder = job,
            ModuleFile = module,
            MemoryLimitBytes = OciSpec.MemoryLimitBytes(32, 32),
            CpuLimit = 0.5,
            PidsLimit = pidsLimit,
            Args = ["/bin/sh", "-c", script],
        });
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        var runc = Containers.RuncPath;
        started.Add(id);
        var exit = await ContainerProcess.RunAsync(
            Containers.Runc.StartInfo(runc, "run", "--bundle", bundle, id), limit ?? TimeSpan.FromSeconds(30), 1024 * 1024,
            () => Containers.Runc.ForceDeleteAsync(runc, id), CancellationToken.None);
        return (exit, Encoding.UTF8.GetString(exit.Stdout), id);
    }
}
