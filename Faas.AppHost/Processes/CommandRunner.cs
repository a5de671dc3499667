using System.Diagnostics;
using System.Text;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Processes;

/// <summary>Runs a short-lived command (initdb, pg_ctl, chown) to completion, copying its output into a resource log.</summary>
internal static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, ResourceLog log, CancellationToken cancellationToken, string workingDirectory = "/")
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        log.WriteAppHostLine("$ " + fileName + " " + string.Join(' ', startInfo.ArgumentList.Select(Quote)));
        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            log.Write(e.Data);
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (output)
        {
            return new CommandResult(process.ExitCode, output.ToString());
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? argument : $"'{argument}'";
}
