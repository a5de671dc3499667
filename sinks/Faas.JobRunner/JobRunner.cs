using System.Text.Json;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Jobs;
using Faas.Wasm.Options;
using Wasmtime;

namespace Faas.JobRunner;

/// <summary>
/// Runs one invocation with the warm pool's executor and exits: <c>faas-job-runner [job folder]</c> reads
/// <see cref="JobFiles.Request"/>, <see cref="JobFiles.Payload"/> and <see cref="JobFiles.Module"/> (precompiled
/// for <see cref="WasmEngineFactory.CreateForCompilation"/>'s settings) and writes a <see cref="JobResult"/> to stdout.
/// </summary>
public static class JobRun
{
    public static int Run(string[] args, Stream stdout, TextWriter diagnostics)
    {
        if (args.Length > 1)
        {
            diagnostics.WriteLine($"usage: {JobFiles.RunnerExecutable} [job folder, default {JobFiles.MountPoint}]");
            return JobFiles.ExitUsage;
        }

        var folder = args.Length == 1 ? args[0] : JobFiles.MountPoint;
        JobRequest request;
        byte[] payload;
        try
        {
            request = JobFileCodec.ReadRequest(File.ReadAllBytes(Path.Combine(folder, JobFiles.Request)));
            payload = File.ReadAllBytes(Path.Combine(folder, JobFiles.Payload));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            diagnostics.WriteLine($"faas-job-runner: cannot read the job in {folder}: {exception.Message}");
            return JobFiles.ExitSetupFailed;
        }

        // No instance pool: one run needs one instance, and a pool would reserve address space for a thousand.
        using var engine = WasmEngineFactory.CreateForCompilation();
        Module module;
        try
        {
            module = Module.DeserializeFile(engine, request.ModuleSha256, Path.Combine(folder, JobFiles.Module));
        }
        catch (Exception exception) when (exception is IOException or WasmtimeException)
        {
            diagnostics.WriteLine($"faas-job-runner: cannot load the module: {exception.Message}");
            return JobFiles.ExitSetupFailed;
        }

        using (module)
        using (var ticker = new EpochTicker(engine))
        using (var executor = new WasmExecutor(engine, ticker, Microsoft.Extensions.Options.Options.Create(new WorkerOptions())))
        {
            var result = executor.Execute(module, new ExecutionRequest
            {
                ModuleSha256 = request.ModuleSha256,
                FunctionName = request.FunctionName,
                Version = request.Version,
                Payload = payload,
                TimeoutMs = request.TimeoutMs,
                MemoryMb = request.MemoryMb,
                Environment = request.Environment,
                ExecutionId = request.ExecutionId,
                TraceId = request.TraceId,
            });
            JobFileCodec.WriteResult(stdout, JobResult.From(result));
        }

        return 0;
    }
}
