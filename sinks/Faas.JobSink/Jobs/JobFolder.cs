using System.Text.Json;
using Faas.Wasm.Jobs;

namespace Faas.JobSink.Jobs;

/// <summary>
/// The per-invocation folder the job runner reads (<see cref="JobFiles"/>): the request and the payload,
/// written here, and the precompiled module, a placeholder file the launcher bind-mounts the cached module over
/// (or, without a container, a copy).
/// </summary>
public static class JobFolder
{
    /// <param name="moduleToCopy">The precompiled module to put in the folder; null leaves an empty placeholder to mount it over.</param>
    /// <param name="linkModule">Hard-link the module rather than copy it (a copy when the link cannot be made).</param>
    public static async Task WriteAsync(string folder, JobInvocation invocation, string? moduleToCopy, CancellationToken cancellationToken, bool linkModule = false)
    {
        FileModes.CreateFolder(folder);
        // The request holds the secrets in plain text for the run: it lives in the scheduler's private bundle folder
        // and is deleted with it when the container is gone.
        await File.WriteAllBytesAsync(Path.Combine(folder, JobFiles.Request), Request(invocation), cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(folder, JobFiles.Payload), invocation.Payload, cancellationToken).ConfigureAwait(false);
        var module = Path.Combine(folder, JobFiles.Module);
        if (moduleToCopy is null)
        {
            await File.WriteAllBytesAsync(module, [], cancellationToken).ConfigureAwait(false);
        }
        else if (!linkModule || !OperatingSystem.IsLinux() || !Oci.ChildProcesses.TryHardLink(moduleToCopy, module))
        {
            File.Copy(moduleToCopy, module);
        }

        // A linked module keeps the cache's mode (it is the same file).
        foreach (var file in linkModule ? [JobFiles.Request, JobFiles.Payload] : new[] { JobFiles.Request, JobFiles.Payload, JobFiles.Module })
        {
            FileModes.Set(Path.Combine(folder, file), FileModes.Readable);
        }
    }

    /// <summary>The request document the job runner reads: the run's settings and its whole environment, secrets included.</summary>
    public static byte[] Request(JobInvocation invocation) => JsonSerializer.SerializeToUtf8Bytes(new JobRequest
    {
        FunctionName = invocation.FunctionName,
        Version = invocation.Version,
        ExecutionId = invocation.ExecutionId,
        TraceId = invocation.TraceId,
        TimeoutMs = invocation.TimeoutMs,
        MemoryMb = invocation.MemoryMb,
        ModuleSha256 = invocation.ModuleSha256,
        Environment = WithSecrets(invocation),
    }, JobJsonContext.Default.JobRequest);

    private static Dictionary<string, string> WithSecrets(JobInvocation invocation)
    {
        var environment = new Dictionary<string, string>(invocation.Environment);
        foreach (var (key, value) in invocation.Secrets)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Reads the job runner's result document.</summary>
    public static JobResult? ParseResult(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, JobJsonContext.Default.JobResult);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Removes a folder and everything in it; a folder already gone is fine.</summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
