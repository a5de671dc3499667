using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Faas.Scheduler.Jobs.Oci;

/// <summary>
/// The few Linux calls prepared containers need: becoming the subreaper of this process's descendants (so a container
/// whose <c>runc create</c> has exited becomes this process's child and can be waited for), waiting for one such
/// child by pid, and hard links.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class ChildProcesses
{
    private const int PrSetChildSubreaper = 36;
    private const int WaitNoHang = 1;
    private const int NoChild = 10; // ECHILD

    private static readonly Lazy<bool> Subreaper = new(() => Prctl(PrSetChildSubreaper, 1, 0, 0, 0) == 0);

    /// <summary>Makes this process the subreaper of its descendants, once; false when the kernel refuses.</summary>
    public static bool BecomeSubreaper() => Subreaper.Value;

    /// <summary>
    /// Reaps the child <paramref name="pid"/> if it has ended: its exit code (128 + signal when a signal killed it);
    /// null while it runs; -1 when it is not a child of this process (someone else reaped it).
    /// Only pids this code adopted are passed here, never children of <see cref="System.Diagnostics.Process"/>.
    /// </summary>
    public static int? TryReap(int pid)
    {
        var result = WaitPid(pid, out var status, WaitNoHang);
        if (result == 0)
        {
            return null;
        }

        if (result < 0)
        {
            return Marshal.GetLastPInvokeError() == NoChild ? -1 : null;
        }

        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /// <summary>Hard-links <paramref name="existing"/> as <paramref name="link"/>; false when it cannot (another file system).</summary>
    public static bool TryHardLink(string existing, string link) => Link(existing, link) == 0;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}
