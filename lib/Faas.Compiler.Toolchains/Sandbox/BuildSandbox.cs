using System.Globalization;
using System.Runtime.InteropServices;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// The walls around one compiler run: bubblewrap gives it mount, PID, network, IPC and UTS namespaces of its
/// own, in which it sees <c>/usr</c> (and the toolchain folders it names) read-only, its scratch directory
/// read-write, a private <c>/proc</c>, <c>/dev</c> and <c>/tmp</c>, and nothing else of the host: no keys,
/// no state directory, no other build. It runs as an unprivileged user with no capabilities, no network and
/// a bounded number of processes. Not a path filter: what is not mounted does not exist for the compiler.
/// </summary>
/// <remarks>
/// As root (the service's usual case) bubblewrap makes the namespaces with its own privileges and
/// <c>setpriv</c> drops to <see cref="CompilerOptions.SandboxUserId"/> inside them. Run by any other user it
/// uses an unprivileged user namespace and the build keeps that user's id.
/// </remarks>
internal sealed partial class BuildSandbox
{
    /// <summary>Folders of the host that every build sees read-only (toolchains, libraries, headers).</summary>
    private static readonly string[] SystemFolders = ["/usr"];

    /// <summary>The merged-/usr links a Debian root has; binaries' interpreters and shebangs go through them.</summary>
    private static readonly (string Link, string Target)[] SystemLinks =
        [("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")];

    private const int ProbeAttempts = 3;

    private readonly string bwrap;
    private readonly string? setpriv;
    private readonly CompilerOptions options;

    private BuildSandbox(string bwrap, string? setpriv, CompilerOptions options, string? problem)
    {
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.options = options;
        Problem = problem;
    }

    /// <summary>Why builds cannot be isolated on this machine; null when they can.</summary>
    public string? Problem { get; }

    public bool IsAvailable => Problem is null;

    /// <summary>Whether the service runs as root, so that the sandbox drops to another user and scratch files are handed to it.</summary>
    public static bool RunsAsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    /// <summary>Finds bubblewrap and proves it can start a process in a sandbox like a build's.</summary>
    public static async Task<BuildSandbox> ProbeAsync(CompilerOptions options, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Unavailable(options, "builds are isolated with Linux namespaces (bubblewrap); this is not Linux");
        }

        if (ExecutableLocator.Find(options.BubblewrapPath) is not { } bwrap)
        {
            return Unavailable(options, $"the build sandbox `{options.BubblewrapPath}` is missing (install bubblewrap)");
        }

        var setpriv = ExecutableLocator.Find("setpriv");
        if (RunsAsRoot && setpriv is null)
        {
            return Unavailable(options, "`setpriv`, which drops builds to an unprivileged user, is missing (install util-linux)");
        }

        var candidate = new BuildSandbox(bwrap, setpriv, options, null);
        var problem = "";
        // A machine busy enough can make one start slow or fail: a sandbox is declared missing only if it never starts.
        for (var attempt = 1; attempt <= ProbeAttempts; attempt++)
        {
            problem = await candidate.TryStartAsync(cancellationToken).ConfigureAwait(false);
            if (problem.Length == 0)
            {
                return candidate;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
        }

        return Unavailable(options, problem);
    }

    /// <summary>Runs <c>true</c> in a sandbox like a build's; empty when it worked, else what went wrong.</summary>
    private async Task<string> TryStartAsync(CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"faas-sandbox-probe-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            HandOver(scratch);
            var outcome = await new SandboxedProcess(this)
                .RunAsync("/usr/bin/true", [], scratch, TimeSpan.FromSeconds(30), 4096, null, cancellationToken)
                .ConfigureAwait(false);
            return outcome is { TimedOut: false, ExitCode: 0 }
                ? ""
                : outcome.TimedOut
                    ? "bubblewrap did not start a sandboxed process within 30 s"
                    : $"bubblewrap could not start a sandboxed process (exit code {outcome.ExitCode}): {outcome.Log.Trim()}";
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The command that runs a compiler inside the sandbox: the scratch directory at its own path (so paths in
    /// diagnostics read as they do outside), the toolchain's <paramref name="readOnlyFolders"/> at theirs.
    /// </summary>
    public IReadOnlyList<string> CommandPrefix(string scratch, IEnumerable<string> readOnlyFolders)
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException($"Builds cannot be isolated: {Problem}.");
        }

        var command = new List<string> { bwrap };
        command.AddRange(RunsAsRoot
            ? ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               // Only what setpriv needs to drop to the build user; it then clears every capability.
               "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            : ["--unshare-all"]);
        command.AddRange(["--die-with-parent", "--new-session"]);
        foreach (var folder in SystemFolders)
        {
            command.AddRange(["--ro-bind", folder, folder]);
        }

        foreach (var (link, target) in SystemLinks)
        {
            command.AddRange(["--symlink", target, link]);
        }

        command.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        var made = new HashSet<string>(StringComparer.Ordinal) { "/tmp" };
        foreach (var folder in readOnlyFolders.Where(f => !SystemFolders.Any(s => IsWithin(f, s))).Distinct(StringComparer.Ordinal))
        {
            AddParents(command, made, folder);
            command.AddRange(["--ro-bind", folder, folder]);
        }

        AddParents(command, made, scratch);
        command.AddRange(["--bind", scratch, scratch, "--chdir", scratch]);
        command.Add("--");
        if (RunsAsRoot)
        {
            var user = options.SandboxUserId.ToString(CultureInfo.InvariantCulture);
            var group = options.SandboxGroupId.ToString(CultureInfo.InvariantCulture);
            command.AddRange([setpriv!, $"--reuid={user}", $"--regid={group}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]);
        }

        return command;
    }

    /// <summary>Gives the build user the scratch directory and everything in it (as root only: otherwise it is already theirs).</summary>
    public void HandOver(string scratch)
    {
        if (!RunsAsRoot)
        {
            return;
        }

        Chown(scratch);
        foreach (var entry in Directory.EnumerateFileSystemEntries(scratch, "*", SearchOption.AllDirectories))
        {
            Chown(entry);
        }
    }

    private void Chown(string path)
    {
        if (ChangeOwner(path, options.SandboxUserId, options.SandboxGroupId) != 0)
        {
            throw new IOException($"Could not hand {path} to the build user {options.SandboxUserId}: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>
    /// Makes the folders above a mount point searchable by the build user (bubblewrap would make them for root
    /// only); they are empty folders of the sandbox's own root, not the host's.
    /// </summary>
    private static void AddParents(List<string> command, HashSet<string> made, string path)
    {
        var parents = new Stack<string>();
        for (var parent = Path.GetDirectoryName(path); !string.IsNullOrEmpty(parent) && parent != "/"; parent = Path.GetDirectoryName(parent))
        {
            parents.Push(parent);
        }

        foreach (var parent in parents.Where(made.Add))
        {
            command.AddRange(["--perms", "0755", "--dir", parent]);
        }
    }

    private static BuildSandbox Unavailable(CompilerOptions options, string problem) => new("", null, options, problem);

    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    /// <summary><c>lchown</c>: a symbolic link itself, never what it points to.</summary>
    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChangeOwner(string path, int owner, int group);
}
