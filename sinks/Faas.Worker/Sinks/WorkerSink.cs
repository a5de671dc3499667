using Faas.Protos.V1;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using Faas.Worker.Load;
using Faas.Sinks.Client;
using Microsoft.Extensions.Options;

namespace Faas.Worker.Sinks;

/// <summary>
/// The worker as a sink of the sink manager: registered when one is configured (<c>Sink:SinkManager</c> or
/// <c>services:sinkmanager:grpc:0</c>), pushed to at <c>Sink:PushAddress</c> (its own gRPC URL) or, with
/// <c>Sink:Pull=true</c> and no push address, pulling its tasks and fetching modules from the sink manager.
/// </summary>
public static class WorkerSink
{
    /// <summary>Memory for functions the worker registers when <c>Sink:MemoryMb</c> is not set.</summary>
    public const int DefaultMemoryMb = 4096;

    /// <summary>Whether the worker registers with a sink manager.</summary>
    public static bool IsEnabled(IConfiguration configuration) => configuration.HasSinkManager();

    /// <summary>Whether the worker pulls its tasks from the sink manager (and needs no database).</summary>
    public static bool PullsTasks(IConfiguration configuration) =>
        IsEnabled(configuration)
        && string.IsNullOrWhiteSpace(configuration[$"{SinkClientOptions.SectionName}:{nameof(SinkClientOptions.PushAddress)}"])
        && configuration.GetValue<bool>($"{SinkClientOptions.SectionName}:Pull");

    internal static void AddWorkerSink(this IHostApplicationBuilder builder)
    {
        var pulls = PullsTasks(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton<ISinkLoad, WorkerSinkLoad>();
        if (pulls)
        {
            services.AddSingleton<ISinkTaskRunner, FunctionHostTaskRunner>();
            services.AddSingleton<IModuleSource, SinkArtifactModuleSource>();
        }

        services.AddSinkAgent();
        services.AddOptions<SinkClientOptions>()
            .PostConfigure<IOptions<WorkerOptions>>((sink, runtime) => ApplyWorkerDefaults(sink, runtime.Value))
            .Validate(
                sink => pulls || !sink.Pulls,
                $"{SinkClientOptions.SectionName}:PushAddress must be the worker's gRPC URL, unless {SinkClientOptions.SectionName}:Pull is true (the worker pulls its tasks).");
    }

    /// <summary>What the worker registers: its slots, its name, WebAssembly in the warm pool, unless configured otherwise.</summary>
    internal static void ApplyWorkerDefaults(SinkClientOptions sink, WorkerOptions runtime)
    {
        sink.Slots = runtime.Slots;
        if (string.IsNullOrWhiteSpace(sink.Name))
        {
            sink.Name = runtime.WorkerId;
        }

        if (sink.MemoryMb == 0)
        {
            sink.MemoryMb = DefaultMemoryMb;
        }

        if (sink.MaxFunctionMemoryMb == 0)
        {
            sink.MaxFunctionMemoryMb = Math.Min(WasmEngineFactory.MaxMemoryMb, sink.MemoryMb);
        }

        if (sink.Runtimes.Count == 0)
        {
            sink.Runtimes.Add("wasm");
        }

        if (sink.Modes.Count == 0)
        {
            sink.Modes.Add(ExecutionMode.Warm);
        }

        sink.Labels.TryAdd("kind", "worker");
        sink.Labels.TryAdd("host", Environment.MachineName);
    }

    /// <summary>The worker's load, as GetStatus reports it.</summary>
    private sealed class WorkerSinkLoad(ProcessLoadMonitor load, ExecutionSlots slots, ModuleCache modules) : ISinkLoad
    {
        public SinkLoadReport GetLoad() => new(load.Cpu, load.MemoryBytes, slots.InFlight, modules.WarmModules);
    }
}
