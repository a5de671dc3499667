using System.Net;
using System.Text.Json;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class InvokeTests(MeshFixture mesh)
{
    [Fact]
    public async Task Rest_invoke_returns_stdout_as_the_body_with_the_execution_id_header()
    {
        await mesh.DeployAsync("rest-echo", "echo");

        using var response = await mesh.InvokeAsync("rest-echo", "hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var id = Assert.Single(response.Headers.GetValues("x-execution-id"));
        Assert.True(Guid.TryParse(id, out _));
    }

    [Fact]
    public async Task Rest_invoke_carries_binary_payloads_unchanged()
    {
        await mesh.DeployAsync("binary-payload", "echo");
        var payload = new byte[300_000];
        new Random(7).NextBytes(payload);

        using var response = await mesh.Rest.PostAsync("/v1/functions/binary-payload:invoke", new ByteArrayContent(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Grpc_invoke_returns_stdout_and_the_execution_id_in_response_headers()
    {
        await mesh.DeployAsync("grpc-echo", "echo");

        using var call = mesh.Invocations.InvokeAsync(new InvokeRequest
        {
            Name = "grpc-echo", Body = new HttpBody { Data = ByteString.CopyFromUtf8("over grpc") },
        });
        var body = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Equal("over grpc", body.Data.ToStringUtf8());
        Assert.True(Guid.TryParse(headers.GetValue("x-execution-id"), out _));
    }

    [Fact]
    public async Task Every_execution_is_recorded_with_status_timings_sizes_worker_and_trace()
    {
        await mesh.DeployAsync("recorded", "echo");
        using var response = await mesh.InvokeAsync("recorded", "12345");
        var id = response.Headers.GetValues("x-execution-id").Single();

        var execution = await mesh.Executions.GetExecutionAsync(new GetExecutionRequest { Id = id });

        Assert.Equal(ExecutionStatus.Succeeded, execution.Status);
        Assert.Equal("recorded", execution.Function);
        Assert.Equal(1u, execution.Version);
        Assert.Equal(5ul, execution.InputBytes);
        Assert.Equal(5ul, execution.OutputBytes);
        Assert.StartsWith("worker-", execution.Worker);
        Assert.Equal(32, execution.TraceId.Length);
        Assert.True(execution.RunMicros > 0);

        // And it reaches the database: the paged list by function reads only from there.
        var listed = await MeshFixture.EventuallyAsync(
            () => mesh.Executions.ListExecutionsAsync(new ListExecutionsRequest { Function = "recorded" }).ResponseAsync,
            page => page.Executions.Any(e => e.Id == id));
        Assert.Contains(listed.Executions, e => e.Id == id && e.Status == ExecutionStatus.Succeeded);

        using var rest = await mesh.Rest.GetAsync($"/v1/executions/{id}");
        var json = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("SUCCEEDED", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Execution_list_filters_by_status()
    {
        await mesh.DeployAsync("filtered", "fail");
        using (await mesh.InvokeAsync("filtered", "x"))
        {
        }

        var failed = await MeshFixture.EventuallyAsync(
            () => mesh.Executions.ListExecutionsAsync(new ListExecutionsRequest { Function = "filtered", Status = ExecutionStatus.Failed }).ResponseAsync,
            page => page.Executions.Count > 0);
        Assert.All(failed.Executions, e => Assert.Equal(ExecutionStatus.Failed, e.Status));
        var succeeded = await mesh.Executions.ListExecutionsAsync(new ListExecutionsRequest { Function = "filtered", Status = ExecutionStatus.Succeeded });
        Assert.Empty(succeeded.Executions);
    }

    [Fact]
    public async Task The_function_sees_the_platform_environment_and_its_own_variables()
    {
        await mesh.DeployAsync("show-env", "env", new { env = new Dictionary<string, string> { ["GREETING"] = "hello there" } });
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/functions/show-env:invoke") { Content = new StringContent("") };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..16]}-01");

        using var response = await mesh.Rest.SendAsync(request);
        var env = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello there", env["GREETING"]);
        Assert.Equal("show-env", env["FAAS_FUNCTION"]);
        Assert.Equal("1", env["FAAS_VERSION"]);
        Assert.Equal(response.Headers.GetValues("x-execution-id").Single(), env["FAAS_EXECUTION_ID"]);
        // The caller's trace reaches the function through gateway, scheduler and worker.
        Assert.Equal(traceId, env["FAAS_TRACE_ID"]);
        var execution = await mesh.Executions.GetExecutionAsync(new GetExecutionRequest { Id = env["FAAS_EXECUTION_ID"] });
        Assert.Equal(traceId, execution.TraceId);
    }

    [Fact]
    public async Task Unknown_function_is_404_on_rest_and_not_found_on_grpc()
    {
        using var response = await mesh.InvokeAsync("does-not-exist", "x");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("does-not-exist", await response.Content.ReadAsStringAsync());

        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Invocations.InvokeAsync(new InvokeRequest { Name = "does-not-exist" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Unknown_execution_is_404_and_a_malformed_id_is_400()
    {
        using var unknown = await mesh.Rest.GetAsync($"/v1/executions/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var malformed = await mesh.Rest.GetAsync("/v1/executions/not-an-id");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }
}
