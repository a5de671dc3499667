using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Faas.AppHost.Jobs;

/// <summary>
/// Publishes the job runner with NativeAOT (<c>dotnet publish -c Release</c>; needs clang and zlib1g-dev)
/// unless this build is already there. One publish at a time per repository (a lock file), into a staging
/// folder renamed into place, so a reader never sees half of it and concurrent AppHosts or test runs publish once.
/// </summary>
public static class JobRunnerPublish
{
    private static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(250);

    /// <summary>Publishes if needed; returns the output of <c>dotnet publish</c> when it ran, null when it was already published.</summary>
    /// <exception cref="InvalidOperationException">The publish failed; the message holds the end of its output.</exception>
    public static async Task<string?> EnsurePublishedAsync(JobRunnerBuild build, CancellationToken cancellationToken)
    {
        if (build.IsPublished)
        {
            return null;
        }

        Directory.CreateDirectory(build.CacheRoot);
        await using var gate = await LockAsync(Path.Combine(build.CacheRoot, ".publish.lock"), cancellationToken).ConfigureAwait(false);
        if (build.IsPublished)
        {
            return null;
        }

        var staging = $"{build.OutputDirectory}.{Environment.ProcessId}.tmp";
        try
        {
            var output = await PublishAsync(build.ProjectPath, staging, cancellationToken).ConfigureAwait(false);
            if (Directory.Exists(build.OutputDirectory))
            {
                Directory.Delete(build.OutputDirectory, recursive: true);
            }

            Directory.Move(staging, build.OutputDirectory);
            PruneOlderBuilds(build.CacheRoot, build.OutputDirectory);
            return output;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Builds of other sources kept besides the current one, for AppHosts of other revisions still running.</summary>
    public const int KeptOlderBuilds = 2;

    /// <summary>
    /// Removes the builds of older sources from the cache folder (each build is a folder named by the hash of its
    /// sources), keeping the <see cref="KeptOlderBuilds"/> most recently published besides <paramref name="current"/>.
    /// A build that cannot be removed (in use) is left for the next publish.
    /// </summary>
    public static void PruneOlderBuilds(string cacheRoot, string current)
    {
        var older = new DirectoryInfo(cacheRoot).GetDirectories()
            .Where(d => !d.Name.EndsWith(".tmp", StringComparison.Ordinal)
                && !string.Equals(Path.GetFullPath(d.FullName), Path.GetFullPath(current), StringComparison.Ordinal))
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .Skip(KeptOlderBuilds);
        foreach (var build in older)
        {
            try
            {
                build.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>The dotnet of the SDK that runs this AppHost: the one <c>dotnet run</c> names, else the runtime's own root.</summary>
    private static string DotNetExecutable
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            {
                return host;
            }

            // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
            var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
            return File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet") : "dotnet";
        }
    }

    private static async Task<string> PublishAsync(string project, string output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(DotNetExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(project)!,
        };
        foreach (var argument in new[] { "publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "-o", output, "--nologo", "-v", "quiet" })
        {
            start.ArgumentList.Add(argument);
        }

        // A test host or a `dotnet run` passes MSBuild's own settings down; the publish needs a clean slate.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet publish did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(output, "faas-job-runner")))
        {
            var tail = text.Length > 4000 ? text[^4000..] : text;
            throw new InvalidOperationException(
                $"Publishing the job runner (NativeAOT: needs clang and zlib1g-dev) failed with exit code {process.ExitCode}: {tail.Trim()}");
        }

        return text;
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(LockRetry, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
