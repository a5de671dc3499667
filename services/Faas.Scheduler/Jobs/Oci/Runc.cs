using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Jobs.Oci;

/// <summary>The <c>runc</c> command line: where it is, its state root, and the housekeeping commands (kill, delete).</summary>
public sealed class Runc(IOptions<JobOptions> options)
{
    private readonly JobOptions options = options.Value;

    /// <summary>runc's full path, or null when it is not installed.</summary>
    public string? Locate()
    {
        var configured = options.RuncPath;
        if (configured.Contains('/'))
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            var candidate = Path.Combine(folder, configured);
            if (folder.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A start info for <c>runc [--root R] args…</c>.</summary>
    public ProcessStartInfo StartInfo(string runc, params string[] arguments)
    {
        var start = new ProcessStartInfo(runc)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!string.IsNullOrEmpty(options.RuncRoot))
        {
            start.ArgumentList.Add("--root");
            start.ArgumentList.Add(options.RuncRoot);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Runs a short runc command to its end.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunAsync(string runc, CancellationToken cancellationToken, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(runc, arguments)) ?? throw new InvalidOperationException("runc did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>Kills the container's processes and removes it; a container already gone is fine.</summary>
    public async Task ForceDeleteAsync(string runc, string containerId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await RunAsync(runc, timeout.Token, "kill", containerId, "KILL").ConfigureAwait(false);
        await RunAsync(runc, timeout.Token, "delete", "--force", containerId).ConfigureAwait(false);
    }
}
