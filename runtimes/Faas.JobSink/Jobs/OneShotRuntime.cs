using Faas.Runtime.Jobs;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs;

/// <summary>The NativeAOT-published one-shot runtime every launcher starts: <c>faas-oneshot</c> and <c>libwasmtime.so</c> in <see cref="JobOptions.RuntimeDirectory"/>.</summary>
public sealed class OneShotRuntime(IOptions<JobOptions> options)
{
    public const string WasmtimeLibrary = "libwasmtime.so";

    public string Directory => options.Value.RuntimeDirectory ?? "";

    public string Executable => Path.Combine(Directory, JobFiles.RuntimeExecutable);

    public string Library => Path.Combine(Directory, WasmtimeLibrary);

    /// <summary>What is missing, or null when the runtime is there.</summary>
    public string? Missing()
    {
        if (string.IsNullOrWhiteSpace(options.Value.RuntimeDirectory))
        {
            return "no one-shot runtime is configured (Jobs:RuntimeDirectory; the AppHost publishes runtimes/Faas.Runtime.OneShot and sets it)";
        }

        foreach (var file in new[] { Executable, Library })
        {
            if (!File.Exists(file))
            {
                return $"the one-shot runtime is not published at {Directory} (no {Path.GetFileName(file)}; the AppHost publishes it on start, "
                    + $"or run `dotnet publish runtimes/Faas.Runtime.OneShot -c Release -o {Directory}`)";
            }
        }

        return null;
    }
}
