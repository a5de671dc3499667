using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// Kills a compiler together with everything it started. Compilers run under <c>setsid</c>, so the process
/// we start leads its own process group and a signal to the group reaches the driver's children
/// (clang's cc1 and wasm-ld, rustc's linker) as well; nothing is ever killed by name.
/// </summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;

    /// <summary>Kills the group <paramref name="process"/> leads, or failing that its tree as .NET sees it.</summary>
    public static void Kill(Process process, int pid)
    {
        if (OperatingSystem.IsLinux() && GetProcessGroup(pid) == pid)
        {
            _ = SendSignal(-pid, SigKill);
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Kills what is left of a group whose leader has exited (orphaned children keep the group alive).</summary>
    public static void KillLeftovers(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SendSignal(-pid, SigKill);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static partial int GetProcessGroup(int pid);
}
