using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FailureTests(MeshFixture mesh)
{
    private static string Message(string json) => JsonDocument.Parse(json).RootElement.GetProperty("message").GetString()!;

    [Fact]
    public async Task Non_zero_exit_is_a_500_with_the_stderr_tail_and_the_execution_id()
    {
        await mesh.DeployAsync("exits-3", "fail");

        using var response = await mesh.InvokeAsync("exits-3", "x");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var message = Message(await response.Content.ReadAsStringAsync());
        var id = response.Headers.GetValues("x-execution-id").Single();
        Assert.Contains("exited with code 3", message);
        Assert.Contains("bad input: expected a number", message);
        Assert.Contains(id, message);

        var execution = await mesh.Executions.GetExecutionAsync(new GetExecutionRequest { Id = id });
        Assert.Equal(ExecutionStatus.Failed, execution.Status);
        Assert.Equal(3, execution.ExitCode);
        Assert.Contains("bad input", execution.StderrTail);
    }

    [Fact]
    public async Task A_trap_is_unknown_over_grpc_with_the_reason()
    {
        await mesh.DeployAsync("traps", "trap");

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Invocations.InvokeAsync(new InvokeRequest { Name = "traps" }).ResponseAsync);

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Contains("trapped", error.Status.Detail);
        Assert.Contains("unreachable", error.Status.Detail);
    }

    [Fact]
    public async Task Over_its_timeout_a_run_is_504_and_the_workers_keep_serving()
    {
        await mesh.DeployAsync("spins", "spin", new { timeoutMs = 300 });
        await mesh.DeployAsync("after-spin", "echo");

        // More spinning runs than there are workers, at once: none may leave a worker blocked.
        var spins = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => mesh.InvokeAsync("spins", "")));
        foreach (var spin in spins)
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, spin.StatusCode);
            Assert.Contains("timed out after 300 ms", Message(await spin.Content.ReadAsStringAsync()));
            spin.Dispose();
        }

        var echoes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => mesh.InvokeAsync("after-spin", $"still here {i}")));
        for (var i = 0; i < echoes.Length; i++)
        {
            Assert.Equal($"still here {i}", await echoes[i].Content.ReadAsStringAsync());
            echoes[i].Dispose();
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Invocations.InvokeAsync(new InvokeRequest { Name = "spins" }).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    [Trait("Category", "Security")]
    public async Task A_warm_function_passing_2_GiB_to_fd_write_gets_a_prompt_504_and_its_worker_serves_the_next_call()
    {
        // fd_write over and over with 2 GiB of iovecs: one such call used to hold the worker for half a minute, and the
        // caller waited for the scheduler's grace (5 s) to give up.
        using (var deploy = await mesh.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "writes-2gib",
            language = "wat",
            source = """
                (module
                  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (memory (export "memory") 32768)
                  (func (export "_start")
                    (loop $again
                      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x10000000) (i32.const 0)))
                      (br $again))))
                """,
            config = new { timeoutMs = 100, memoryMb = 2048 },
        }))
        {
            Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        }

        await mesh.DeployAsync("after-2gib", "echo");
        using (var cold = await mesh.InvokeAsync("writes-2gib", ""))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, cold.StatusCode); // loads the module, so the next call is warm
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await mesh.InvokeAsync("writes-2gib", "");
        watch.Stop();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("timed out after 100 ms", Message(await response.Content.ReadAsStringAsync()));
        // The run ends within the stated margin of its timeout (docs/architecture.md, "Host calls are bounded").
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(100) + TimeSpan.FromSeconds(2), $"the 504 took {watch.ElapsedMilliseconds} ms");

        var id = response.Headers.GetValues("x-execution-id").Single();
        var worker = (await mesh.Executions.GetExecutionAsync(new GetExecutionRequest { Id = id })).Worker;
        using var channel = mesh.App.CreateServiceChannel(worker);
        var runtime = new PushedSink.PushedSinkClient(channel);
        var status = await MeshFixture.EventuallyAsync(() => runtime.GetStatusAsync(new GetStatusRequest()).ResponseAsync, s => s.InFlight == 0, TimeSpan.FromSeconds(2));
        Assert.True(status.InFlight == 0, $"{worker} still runs {status.InFlight} calls");

        using var next = await mesh.InvokeAsync("after-2gib", "still here");
        Assert.Equal("still here", await next.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Over_its_memory_limit_a_run_fails_and_the_worker_is_unharmed()
    {
        await mesh.DeployAsync("greedy", "grow", new { memoryMb = 2 });
        await mesh.DeployAsync("after-greedy", "echo");

        using var response = await mesh.InvokeAsync("greedy", "");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("memory", Message(await response.Content.ReadAsStringAsync()));
        using var echo = await mesh.InvokeAsync("after-greedy", "fine");
        Assert.Equal("fine", await echo.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_413_on_rest_and_resource_exhausted_on_grpc()
    {
        await mesh.DeployAsync("big-payload", "echo");
        var payload = new byte[(6 * 1024 * 1024) + 1];

        using var response = await mesh.Rest.PostAsync("/v1/functions/big-payload:invoke", new ByteArrayContent(payload));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("exceeds the limit", Message(await response.Content.ReadAsStringAsync()));

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Invocations.InvokeAsync(new InvokeRequest
        {
            Name = "big-payload", Body = new HttpBody { Data = ByteString.CopyFrom(payload) },
        }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task A_full_queue_is_429_with_retry_after_and_the_function_recovers()
    {
        await mesh.DeployAsync("narrow", "spin", new { timeoutMs = 1500, maxConcurrency = 1, queueCapacity = 0 });

        // Six calls at once against one slot and no queue: one runs (and times out), the rest are shed.
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => mesh.InvokeAsync("narrow", "")));

        var ran = responses.Where(r => r.StatusCode == HttpStatusCode.GatewayTimeout).ToList();
        var shed = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(responses.Length, ran.Count + shed.Count);
        Assert.NotEmpty(ran);
        Assert.NotEmpty(shed);
        foreach (var rejected in shed)
        {
            Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single()) >= 1);
            Assert.Contains("full", Message(await rejected.Content.ReadAsStringAsync()));
        }

        foreach (var response in responses)
        {
            response.Dispose();
        }

        // The slot is free again: the next call runs (and times out) rather than being rejected.
        using var next = await mesh.InvokeAsync("narrow", "");
        Assert.Equal(HttpStatusCode.GatewayTimeout, next.StatusCode);
    }
}
