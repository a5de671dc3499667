using System.Runtime.InteropServices;

namespace Faas.AppHost.Processes;

/// <summary>POSIX signals for the processes the AppHost starts (.NET can only kill, not ask to stop).</summary>
internal static partial class ProcessSignals
{
    /// <summary>Asks a process to shut down gracefully.</summary>
    public const int SigTerm = 15;

    /// <summary>PostgreSQL's "fast shutdown" request.</summary>
    public const int SigInt = 2;

    /// <summary>Cannot be caught.</summary>
    public const int SigKill = 9;

    private const int NoSignal = 0;
    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Asks the process to shut down gracefully (SIGTERM).</summary>
    public static bool Terminate(int pid) => Send(pid, SigTerm);

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Whether a process with this pid runs (signal 0 checks without sending; a zombie runs nothing).</summary>
    public static bool IsAlive(int pid)
    {
        if (Kill(pid, NoSignal) != 0 && Marshal.GetLastPInvokeError() == NoSuchProcess)
        {
            return false;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..] is not ['Z', ..] and not ['X', ..];
        }
        catch (IOException)
        {
            return true; // no /proc: trust kill(0)
        }
    }

    /// <summary>Whether the AppHost runs as root (PostgreSQL then has to run as another user).</summary>
    public static bool IsRoot => GetEffectiveUserId() == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
