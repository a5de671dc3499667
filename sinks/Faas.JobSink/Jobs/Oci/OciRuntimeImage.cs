using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Faas.Wasm.Jobs;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs.Oci;

/// <summary>
/// The read-only root file system every job container shares, assembled from local files (there is no
/// registry): <c>/bin/faas-job-runner</c> and <c>/bin/libwasmtime.so</c> from the published job runner,
/// the shared libraries they load (found with <c>ldd</c>) at their usual paths, and empty mount points
/// (<c>/proc</c>, <c>/dev</c>, <c>/job</c>). Nothing else of the host is in it. Built once per runtime build
/// into <c>&lt;state&gt;/image/&lt;key&gt;</c> (written aside, then renamed into place).
/// </summary>
public sealed class OciRuntimeImage(JobRunnerBinary runtime, IOptions<JobOptions> options)
{
    private readonly SemaphoreSlim building = new(1, 1);
    private string? built;

    /// <summary>The image's root folder, built on first use.</summary>
    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (built is { } ready)
        {
            return ready;
        }

        await building.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return built ??= await BuildAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            building.Release();
        }
    }

    private async Task<string> BuildAsync(CancellationToken cancellationToken)
    {
        var executable = runtime.Executable;
        var library = runtime.Library;
        var root = Path.Combine(options.Value.StateDirectory, "image", Key(executable, library));
        if (Directory.Exists(root))
        {
            return root;
        }

        var staging = $"{root}.{Guid.NewGuid():N}.tmp";
        try
        {
            foreach (var folder in new[] { "bin", "proc", "dev", JobFiles.MountPoint.TrimStart('/') })
            {
                FileModes.CreateFolder(Path.Combine(staging, folder));
            }

            CopyInto(staging, executable, "/bin/" + JobFiles.RunnerExecutable);
            CopyInto(staging, library, "/bin/" + JobRunnerBinary.WasmtimeLibrary);
            foreach (var dependency in (await SharedLibrariesAsync(executable, cancellationToken).ConfigureAwait(false))
                .Union(await SharedLibrariesAsync(library, cancellationToken).ConfigureAwait(false)))
            {
                CopyInto(staging, dependency, dependency);
            }

            // The mount point of the module inside /job exists in each job folder; nothing more to add here.
            Directory.CreateDirectory(Path.GetDirectoryName(root)!);
            Directory.Move(staging, root);
        }
        catch (IOException) when (Directory.Exists(root))
        {
            // Another scheduler sharing the state directory built it first.
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return root;
    }

    /// <summary>Copies a file to the same (absolute) path inside the image, following links, readable by everyone.</summary>
    private static void CopyInto(string image, string file, string pathInImage)
    {
        var target = Path.Combine(image, pathInImage.TrimStart('/'));
        FileModes.CreateFolder(Path.GetDirectoryName(target)!);
        File.Copy(file, target, overwrite: true);
        FileModes.Set(target, FileModes.Executable);
    }

    /// <summary>The shared libraries a binary loads, with the dynamic loader: the paths <c>ldd</c> resolves.</summary>
    private static async Task<IReadOnlyList<string>> SharedLibrariesAsync(string binary, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ldd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(binary);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("ldd did not start.");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ldd {binary} failed: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
        }

        return ParseLdd(output);
    }

    /// <summary>Absolute paths from ldd's lines (<c>libc.so.6 =&gt; /lib/…/libc.so.6 (0x…)</c>, <c>/lib64/ld-linux… (0x…)</c>).</summary>
    public static IReadOnlyList<string> ParseLdd(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Contains("=>", StringComparison.Ordinal) ? line[(line.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim() : line)
            .Select(rest => rest.Split(' ')[0])
            .Where(path => path.StartsWith('/'))
            .Distinct(StringComparer.Ordinal)];

    private static string Key(params string[] files)
    {
        var identity = new StringBuilder();
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            identity.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..16];
    }
}
