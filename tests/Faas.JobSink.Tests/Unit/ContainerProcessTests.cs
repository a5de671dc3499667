using System.Text;
using Faas.Wasm.Execution;
using Faas.JobSink.Jobs;

namespace Faas.JobSink.Tests.Unit;

public sealed class ContainerProcessTests
{
    private const long Limit = 192L * 1024 * 1024;

    [Fact]
    public void The_runtime_result_is_the_outcome()
    {
        var json = """{"outcome":"ExitedNonZero","output":"aGk=","exitCode":3,"error":"exited with code 3","stderrTail":"bad","runMicros":42}""";
        var run = ContainerProcess.Interpret(new ContainerExit(0, Encoding.UTF8.GetBytes(json), false, "", false), "job:c", 1000, Limit, true);
        Assert.Equal(ExecutionOutcome.ExitedNonZero, run.Outcome);
        Assert.Equal("hi", Encoding.UTF8.GetString(run.Output.Span));
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("bad", run.StderrTail);
        Assert.Equal(42, run.RunMicros);
        Assert.Equal("job:c", run.Container);
    }

    [Fact]
    public void A_container_killed_at_its_deadline_timed_out()
    {
        var run = ContainerProcess.Interpret(new ContainerExit(137, [], false, "", KilledAtDeadline: true), "job:c", 1000, Limit, true);
        Assert.Equal(ExecutionOutcome.Timeout, run.Outcome);
        Assert.Contains("killed from outside", run.Error);
    }

    [Fact]
    public void A_container_the_kernel_killed_ran_out_of_memory()
    {
        var run = ContainerProcess.Interpret(new ContainerExit(137, [], false, "", false), "job:c", 1000, Limit, memoryKillPossible: true);
        Assert.Equal(ExecutionOutcome.OutOfMemory, run.Outcome);
        Assert.Contains("192 MiB", run.Error);
    }

    [Fact]
    public void A_container_without_a_result_is_a_platform_failure_with_the_reason()
    {
        var error = Assert.Throws<JobFailedException>(() =>
            ContainerProcess.Interpret(new ContainerExit(70, [], false, "cannot load the module", false), "job:c", 1000, Limit, true));
        Assert.Contains("cannot load the module", error.Message);
        Assert.Contains("job:c", error.Message);
    }

    [Fact]
    public void An_oversized_result_is_refused()
    {
        var error = Assert.Throws<JobFailedException>(() =>
            ContainerProcess.Interpret(new ContainerExit(0, [], StdoutOverflowed: true, "", false), "job:c", 1000, Limit, true));
        Assert.Contains("MaxResultBytes", error.Message);
    }
}
