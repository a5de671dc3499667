using Faas.JobSink.Jobs;
using Faas.Protos.V1;
using Faas.Sinks.Client;

namespace Faas.JobSink.Tests.Unit;

/// <summary>What the job sink registers with the sink manager: placement finds it by these.</summary>
public sealed class JobSinkRegistrationTests
{
    [Fact]
    public void The_job_sink_serves_the_job_mode_for_webassembly_with_a_slot_per_container()
    {
        var sink = new SinkClientOptions();

        JobSinkExtensions.ApplyJobDefaults(sink, new JobOptions { MaxRunning = 12 });

        Assert.Equal("jobs", sink.Name);
        Assert.Equal([ExecutionMode.Job], sink.Modes);
        Assert.Equal(["wasm"], sink.Runtimes);
        Assert.Equal(12, sink.Slots);
        Assert.Equal("job-sink", sink.Labels["kind"]);
        Assert.True(new SinkCapacity { Slots = 12, MemoryMb = (uint)sink.MemoryMb, Runtimes = { sink.Runtimes }, Modes = { sink.Modes } }
            .CanRun("wasm", ExecutionMode.Job, 128));
        Assert.False(new SinkCapacity { Slots = 12, MemoryMb = (uint)sink.MemoryMb, Runtimes = { sink.Runtimes }, Modes = { sink.Modes } }
            .CanRun("wasm", ExecutionMode.Warm, 128));
    }

    [Fact]
    public void Configured_values_are_kept()
    {
        var sink = new SinkClientOptions { Name = "jobs-b", MemoryMb = 2048, Modes = [ExecutionMode.Job] };

        JobSinkExtensions.ApplyJobDefaults(sink, new JobOptions());

        Assert.Equal(("jobs-b", 2048), (sink.Name, sink.MemoryMb));
        Assert.Equal([ExecutionMode.Job], sink.Modes);
    }
}
