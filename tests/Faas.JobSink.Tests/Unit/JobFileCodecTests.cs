using System.Text;
using System.Text.Json;
using Faas.Wasm.Execution;
using Faas.Wasm.Jobs;
using Faas.JobSink.Jobs;

namespace Faas.JobSink.Tests.Unit;

/// <summary>The job runner's reader and writer agree with the launchers' serializer on every field.</summary>
public sealed class JobFileCodecTests
{
    [Fact]
    public void Reads_the_request_a_launcher_writes()
    {
        var invocation = new JobInvocation
        {
            ExecutionId = "0193-exec", TraceId = "abc123", FunctionId = "f-1", FunctionName = "échø \"quoted\"", Version = 7,
            ModuleSha256 = new string('a', 64), TimeoutMs = 1234, MemoryMb = 48,
            Environment = new Dictionary<string, string> { ["GREETING"] = "hi\nthere", ["EMPTY"] = "" },
            Secrets = new Dictionary<string, string> { ["TOKEN"] = "s3cr\u00e9t" },
            Payload = ReadOnlyMemory<byte>.Empty,
        };

        var request = JobFileCodec.ReadRequest(JobFolder.Request(invocation));

        Assert.Equal(invocation.FunctionName, request.FunctionName);
        Assert.Equal(7u, request.Version);
        Assert.Equal("0193-exec", request.ExecutionId);
        Assert.Equal("abc123", request.TraceId);
        Assert.Equal(1234, request.TimeoutMs);
        Assert.Equal(48, request.MemoryMb);
        Assert.Equal(invocation.ModuleSha256, request.ModuleSha256);
        Assert.Equal(new Dictionary<string, string> { ["GREETING"] = "hi\nthere", ["EMPTY"] = "", ["TOKEN"] = "s3cr\u00e9t" }, request.Environment);
    }

    [Fact]
    public void Unknown_properties_are_skipped_and_missing_ones_take_their_defaults()
    {
        var json = """{"future":{"nested":[1,2,{"x":null}]},"functionName":"f","moduleSha256":"m","environment":null,"also":"later"}"""u8;
        var request = JobFileCodec.ReadRequest(json);
        Assert.Equal("f", request.FunctionName);
        Assert.Equal("m", request.ModuleSha256);
        Assert.Equal(0u, request.Version);
        Assert.Equal("", request.ExecutionId);
        Assert.Empty(request.Environment);
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""{"moduleSha256":"m"}""")]
    [InlineData("""{"functionName":"f"}""")]
    [InlineData("""{"functionName":"f","moduleSha256":"m","environment":["A"]}""")]
    public void Incomplete_requests_are_refused(string json) =>
        Assert.Throws<InvalidDataException>(() => JobFileCodec.ReadRequest(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"functionName":"f","moduleSha256":"m","version":"seven"}""")]
    [InlineData("""{"functionName":"f","moduleSha256":"m","timeoutMs":1e99}""")]
    [InlineData("""{"functionName":7,"moduleSha256":"m"}""")]
    [InlineData("""{"functionName":"f",""")]
    public void Malformed_requests_are_json_errors(string json) =>
        Assert.ThrowsAny<JsonException>(() => JobFileCodec.ReadRequest(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData(ExecutionOutcome.Ok, null)]
    [InlineData(ExecutionOutcome.Trapped, "wasm trap: unreachable \"here\"\n\tat <0x1f>")]
    [InlineData(ExecutionOutcome.Timeout, "timed out after 10 ms")]
    public void The_launcher_reads_the_result_written(ExecutionOutcome outcome, string? error)
    {
        var written = new JobResult
        {
            Outcome = outcome, Output = [0, 1, 2, 250, 255], ExitCode = 3, Error = error, StderrTail = "line 1\nline \u00e9 2", RunMicros = 909,
        };
        using var stream = new MemoryStream();

        JobFileCodec.WriteResult(stream, written);
        var read = JobFolder.ParseResult(stream.ToArray());

        Assert.NotNull(read);
        Assert.Equal(written.Outcome, read.Outcome);
        Assert.Equal(written.Output, read.Output);
        Assert.Equal(3, read.ExitCode);
        Assert.Equal(error, read.Error);
        Assert.Equal(written.StderrTail, read.StderrTail);
        Assert.Equal(909, read.RunMicros);
    }
}
