using Faas.Wasm.Jobs;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs;

/// <summary>The NativeAOT-published job runner every launcher starts: <c>faas-job-runner</c> and <c>libwasmtime.so</c> in <see cref="JobOptions.RunnerDirectory"/>.</summary>
public sealed class JobRunnerBinary(IOptions<JobOptions> options)
{
    public const string WasmtimeLibrary = "libwasmtime.so";

    public string Directory => options.Value.RunnerDirectory ?? "";

    public string Executable => Path.Combine(Directory, JobFiles.RunnerExecutable);

    public string Library => Path.Combine(Directory, WasmtimeLibrary);

    /// <summary>What is missing, or null when the runtime is there.</summary>
    public string? Missing()
    {
        if (string.IsNullOrWhiteSpace(options.Value.RunnerDirectory))
        {
            return "no job runner is configured (Jobs:RunnerDirectory; the AppHost publishes sinks/Faas.JobRunner and sets it)";
        }

        foreach (var file in new[] { Executable, Library })
        {
            if (!File.Exists(file))
            {
                return $"the job runner is not published at {Directory} (no {Path.GetFileName(file)}; the AppHost publishes it on start, "
                    + $"or run `dotnet publish sinks/Faas.JobRunner -c Release -o {Directory}`)";
            }
        }

        return null;
    }
}
