using Faas.JobSink.Jobs;
using Faas.Protos.V1;
using Faas.Sinks.Client;
using Faas.Storage;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Options;

namespace Faas.JobSink;

public static class JobSinkExtensions
{
    /// <summary>Name the sink registers under when <c>Sink:Name</c> is not set.</summary>
    public const string DefaultName = "jobs";

    /// <summary>Memory for containers at once the sink registers when <c>Sink:MemoryMb</c> is not set, MiB.</summary>
    public const int DefaultMemoryMb = 16384;

    /// <summary>Largest request the sink accepts: a payload of up to 16 MiB plus its function spec.</summary>
    private const int MaxRequestBytes = 17 * 1024 * 1024;

    /// <summary>
    /// JOB mode as a sink: the launchers (<see cref="JobServices.AddJobs"/>), modules and secrets from the database, and the
    /// sink agent that registers it with the sink manager (section <c>Sink</c>) serving modes [JOB] for WebAssembly, pushed
    /// to at <c>Sink:PushAddress</c>.
    /// </summary>
    public static IHostApplicationBuilder AddJobSink(this IHostApplicationBuilder builder)
    {
        builder.AddFaasDatabase();
        builder.AddFunctionSecrets();
        builder.AddJobs();
        builder.Services.AddSingleton<JobSlots>();
        builder.Services.Configure<GrpcServiceOptions>(options => options.MaxReceiveMessageSize = MaxRequestBytes);
        if (builder.Configuration.HasSinkManager())
        {
            builder.Services.AddSingleton<ISinkLoad, JobSinkLoad>();
            builder.Services.AddSinkAgent();
        }

        builder.Services.AddOptions<SinkClientOptions>()
            .PostConfigure<IOptions<JobOptions>>((sink, jobs) => ApplyJobDefaults(sink, jobs.Value))
            .Validate(sink => !sink.Pulls || !builder.Configuration.HasSinkManager(), $"{SinkClientOptions.SectionName}:PushAddress must be the job sink's gRPC URL.");
        return builder;
    }

    /// <summary>What the job sink registers: JOB mode for WebAssembly, as many slots as containers may run at once.</summary>
    internal static void ApplyJobDefaults(SinkClientOptions sink, JobOptions jobs)
    {
        sink.Slots = jobs.MaxRunning;
        if (string.IsNullOrWhiteSpace(sink.Name))
        {
            sink.Name = DefaultName;
        }

        if (sink.MemoryMb == 0)
        {
            sink.MemoryMb = DefaultMemoryMb;
        }

        if (sink.MaxFunctionMemoryMb == 0)
        {
            sink.MaxFunctionMemoryMb = Math.Min(Faas.Wasm.Engines.WasmEngineFactory.MaxMemoryMb, sink.MemoryMb);
        }

        if (sink.Runtimes.Count == 0)
        {
            sink.Runtimes.Add(SinkContract.DefaultRuntime);
        }

        if (sink.Modes.Count == 0)
        {
            sink.Modes.Add(ExecutionMode.Job);
        }

        sink.Labels.TryAdd("kind", "job-sink");
        sink.Labels.TryAdd("launcher", jobs.Launcher.ToString());
        sink.Labels.TryAdd("host", Environment.MachineName);
    }

    /// <summary>The sink's load for its heartbeats: containers running; it keeps no module warm.</summary>
    private sealed class JobSinkLoad(JobSlots slots) : ISinkLoad
    {
        public SinkLoadReport GetLoad() => new(0, Environment.WorkingSet, slots.InFlight, []);
    }
}
