using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Faas.JobSink.Jobs.Oci;

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
    private const int TryAgain = 11; // EAGAIN
    private const int OpenReadOnly = 0;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

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

    /// <summary>
    /// Reads what a process blocked opening the FIFO for writing has to say, without blocking: opens it (non-blocking,
    /// so the writer's open completes), then polls for data up to <paramref name="timeout"/>. Returns the bytes read;
    /// null when the FIFO cannot be opened or nothing came in time (the writer is gone).
    /// </summary>
    public static byte[]? ReadFifo(string path, TimeSpan timeout)
    {
        var fd = Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var buffer = new byte[64];
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            var spin = new SpinWait();
            while (true)
            {
                var read = Read(fd, buffer, buffer.Length);
                if (read > 0)
                {
                    return buffer[..(int)read];
                }

                // 0: the writer has not finished opening yet (or is gone); EAGAIN: it has, and not written yet.
                if ((read < 0 && Marshal.GetLastPInvokeError() != TryAgain) || Environment.TickCount64 > deadline)
                {
                    return null;
                }

                spin.SpinOnce(sleep1Threshold: 10);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Hard-links <paramref name="existing"/> as <paramref name="link"/>; false when it cannot (another file system).</summary>
    public static bool TryHardLink(string existing, string link) => Link(existing, link) == 0;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}
