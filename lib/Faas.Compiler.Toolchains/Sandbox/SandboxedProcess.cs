using System.Diagnostics;

namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// Runs a compiler as a build needs it: in its scratch directory, with a minimal environment, no stdin,
/// in a process group of its own, inside the <see cref="BuildSandbox"/> (which sees only the scratch directory
/// and <paramref name="readOnlyFolders"/> besides the system's), within its <see cref="ResourceLimits"/>,
/// killed with all its children at the time limit, its output capped. Without a sandbox it runs on the host:
/// only for the platform's own commands (toolchain detection), never for a tenant's build.
/// </summary>
internal sealed class SandboxedProcess(BuildSandbox? sandbox = null, ResourceLimits? limits = null, IReadOnlyList<string>? readOnlyFolders = null)
{
    private const string SearchPath = "/usr/local/bin:/usr/bin:/bin";

    public async Task<ProcessOutcome> RunAsync(
        string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout,
        int maxLogChars, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var command = new List<string>();
        if (ExecutableLocator.Find("setsid") is { } setsid)
        {
            command.Add(setsid);
        }

        if (limits is not null)
        {
            command.AddRange(limits.CommandPrefix());
        }

        if (sandbox is not null)
        {
            command.AddRange(sandbox.CommandPrefix(workingDirectory, readOnlyFolders ?? []));
        }

        command.Add(fileName);
        command.AddRange(arguments);
        startInfo.FileName = command[0];
        foreach (var argument in command.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = ExtendedSearchPath(fileName);
        startInfo.Environment["HOME"] = workingDirectory;
        startInfo.Environment["TMPDIR"] = workingDirectory;
        startInfo.Environment["LANG"] = "C.UTF-8";

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var pid = process.Id;
        process.StandardInput.Close();
        var output = new CapturedOutput(maxLogChars, onLine);
        var readers = new[] { PumpAsync(process.StandardOutput, 1, output), PumpAsync(process.StandardError, 2, output) };

        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                ProcessGroup.Kill(process, pid);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                ProcessGroup.KillLeftovers(pid);
            }
        }

        // The pipes close once the whole group is gone; do not hang on a child that escaped it.
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var log = output.Complete();
        return new ProcessOutcome(timedOut ? -1 : process.ExitCode, timedOut, log, output.DiscardedChars);
    }

    private static async Task PumpAsync(StreamReader reader, int stream, CapturedOutput output)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
        {
            output.Append(stream, buffer.AsSpan(0, read));
        }
    }

    /// <summary>The default search path plus the compiler's own folder (asc's <c>node</c> may live next to it).</summary>
    private static string ExtendedSearchPath(string fileName) =>
        Path.GetDirectoryName(fileName) is { Length: > 0 } folder ? $"{folder}:{SearchPath}" : SearchPath;
}
