using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Faas.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

/// <summary>Asynchronous invocations through the whole mesh: REST and gRPC in, reliable queues, scheduler, workers, PostgreSQL.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AsyncTests(MeshFixture mesh)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_enqueue_is_accepted_with_202_and_runs_to_success_with_its_output_stored()
    {
        await mesh.DeployAsync("async-echo", "echo");

        using var response = await mesh.Rest.PostAsync("/v1/functions/async-echo:enqueue", new StringContent("hello later"));
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = body.GetProperty("executionId").GetString()!;
        Assert.Equal("QUEUED", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("deduplicated").GetBoolean());
        Assert.Equal(id, response.Headers.GetValues("x-execution-id").Single());
        Assert.Equal($"/v1/executions/{id}", response.Headers.Location?.OriginalString);

        var execution = await WaitForStatusAsync(id, "SUCCEEDED");
        Assert.Equal("async", execution.GetProperty("kind").GetString());
        var attempt = Assert.Single(execution.GetProperty("attempts").EnumerateArray());
        Assert.Equal(1, attempt.GetProperty("number").GetInt32());
        Assert.Equal("OK", attempt.GetProperty("outcome").GetString());
        Assert.StartsWith("worker-", attempt.GetProperty("worker").GetString());
        Assert.True(execution.GetProperty("hasOutput").GetBoolean());

        using var output = await mesh.Rest.GetAsync($"/v1/executions/{id}/output");
        Assert.Equal(HttpStatusCode.OK, output.StatusCode);
        Assert.Equal("hello later", await output.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_accepted_invocation_is_visible_as_queued_while_the_function_is_busy()
    {
        // Five seconds of running: long enough for a poll on a loaded machine to see the first one RUNNING.
        await mesh.DeployAsync("async-busy", "spin", new { timeoutMs = 5000, maxConcurrency = 1, maxRetries = 0 });

        var first = await EnqueueAsync("async-busy", "");
        await WaitForStatusAsync(first, "RUNNING");
        var second = await EnqueueAsync("async-busy", "");

        var waiting = await GetExecutionAsync(second);
        Assert.Equal("QUEUED", waiting.GetProperty("status").GetString());
        Assert.Empty(waiting.GetProperty("attempts").EnumerateArray());

        // Both time out; with no retries each is dead-lettered after its one attempt.
        foreach (var id in new[] { first, second })
        {
            var done = await WaitForStatusAsync(id, "DEAD_LETTERED");
            Assert.Equal("TIMEOUT", Assert.Single(done.GetProperty("attempts").EnumerateArray()).GetProperty("outcome").GetString());
        }
    }

    [Fact]
    public async Task An_idempotency_key_returns_the_first_execution_over_rest_and_grpc()
    {
        await mesh.DeployAsync("async-idem", "echo");
        var key = "order-" + Guid.NewGuid().ToString("N");

        var first = await EnqueueWithKeyAsync(key, "one");
        var second = await EnqueueWithKeyAsync(key, "two");
        var viaGrpc = await mesh.Invocations.EnqueueAsync(new EnqueueRequest
        {
            Name = "async-idem",
            Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("three") },
            IdempotencyKey = key,
        });

        Assert.False(first.GetProperty("deduplicated").GetBoolean());
        Assert.True(second.GetProperty("deduplicated").GetBoolean());
        Assert.True(viaGrpc.Deduplicated);
        var id = first.GetProperty("executionId").GetString()!;
        Assert.Equal(id, second.GetProperty("executionId").GetString());
        Assert.Equal(id, viaGrpc.ExecutionId);

        await WaitForStatusAsync(id, "SUCCEEDED");
        using var output = await mesh.Rest.GetAsync($"/v1/executions/{id}/output");
        Assert.Equal("one", await output.Content.ReadAsStringAsync());
        var list = await mesh.Executions.ListExecutionsAsync(new ListExecutionsRequest { Function = "async-idem" });
        Assert.Equal(id, Assert.Single(list.Executions, e => e.IdempotencyKey == key).Id);
    }

    [Fact]
    public async Task The_result_is_posted_to_the_callback_url_with_retries_and_the_delivery_is_recorded()
    {
        await mesh.DeployAsync("async-callback", "echo");
        await using var listener = new CallbackListener(failFirst: 1);

        var id = await EnqueueAsync("async-callback", "called back", $"?callbackUrl={Uri.EscapeDataString(listener.Url)}");

        var execution = await MeshFixture.EventuallyAsync(
            () => GetExecutionAsync(id),
            e => e.TryGetProperty("callback", out var c) && c.GetProperty("state").GetString() == "CALLBACK_DELIVERED",
            Within);
        var callback = execution.GetProperty("callback");
        Assert.Equal("CALLBACK_DELIVERED", callback.GetProperty("state").GetString());
        Assert.Equal(2, callback.GetProperty("attempts").GetInt32());
        Assert.Equal(200, callback.GetProperty("lastStatusCode").GetInt32());

        var requests = listener.Requests.ToArray();
        Assert.Equal([500, 200], requests.Select(r => r.AnsweredWith));
        Assert.All(requests, r => Assert.Equal(("POST", id), (r.Method, r.ExecutionId)));
        Assert.Equal(["1", "2"], requests.Select(r => r.Attempt));
        var delivered = requests[^1].Body;
        Assert.Equal("SUCCEEDED", delivered.GetProperty("status").GetString());
        Assert.Equal("async-callback", delivered.GetProperty("function").GetString());
        Assert.Equal("called back", Encoding.UTF8.GetString(Convert.FromBase64String(delivered.GetProperty("outputBase64").GetString()!)));
    }

    [Fact]
    public async Task A_poison_function_is_dead_lettered_after_its_retries_and_re_driven_after_a_fix()
    {
        await mesh.DeployAsync("async-poison", "fail", new { maxRetries = 2 });
        var id = await EnqueueAsync("async-poison", "payload kept for the redrive");

        var dead = await WaitForStatusAsync(id, "DEAD_LETTERED");
        var attempts = dead.GetProperty("attempts").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.GetProperty("number").GetInt32()));
        Assert.All(attempts, a => Assert.Equal("EXITED_NON_ZERO", a.GetProperty("outcome").GetString()));
        Assert.Contains("bad input", dead.GetProperty("stderrTail").GetString());
        Assert.Contains("exited with code 3", dead.GetProperty("error").GetString());

        var letters = await mesh.Invocations.ListDeadLettersAsync(new ListDeadLettersRequest { Name = "async-poison" });
        Assert.Equal(id, Assert.Single(letters.Executions).Id);
        var stats = await mesh.Invocations.GetQueueStatsAsync(new GetQueueStatsRequest { Name = "async-poison" });
        Assert.Equal((0ul, 0ul, 0ul, 1ul), (stats.Queued, stats.Delayed, stats.Running, stats.DeadLettered));

        // Redriving without a fix just fails again; the fix is a new version.
        await mesh.DeployAsync("async-poison", "echo", new { maxRetries = 2 });
        using var redrive = await mesh.Rest.PostAsJsonAsync("/v1/functions/async-poison/deadLetters:redrive", new { executionIds = new[] { id } });
        Assert.Equal(HttpStatusCode.OK, redrive.StatusCode);
        Assert.Equal(id, (await JsonAsync(redrive)).GetProperty("executionIds")[0].GetString());

        var fixedRun = await WaitForStatusAsync(id, "SUCCEEDED");
        Assert.Equal(1, fixedRun.GetProperty("redrives").GetInt32());
        Assert.Equal(2, fixedRun.GetProperty("version").GetInt32());
        var last = fixedRun.GetProperty("attempts").EnumerateArray().Last();
        Assert.Equal((4, "OK"), (last.GetProperty("number").GetInt32(), last.GetProperty("outcome").GetString()));
        using var output = await mesh.Rest.GetAsync($"/v1/executions/{id}/output");
        Assert.Equal("payload kept for the redrive", await output.Content.ReadAsStringAsync());
        Assert.Empty((await mesh.Invocations.ListDeadLettersAsync(new ListDeadLettersRequest { Name = "async-poison" })).Executions);
    }

    [Fact]
    public async Task Bad_enqueues_are_refused_at_acceptance_and_leave_nothing_behind()
    {
        await mesh.DeployAsync("async-strict", "echo");

        using var unknown = await mesh.Rest.PostAsync("/v1/functions/no-such-function:enqueue", new StringContent("x"));
        using var badCallback = await mesh.Rest.PostAsync("/v1/functions/async-strict:enqueue?callbackUrl=ftp%3A%2F%2Fexample%2Fx", new StringContent("x"));
        using var relativeCallback = await mesh.Rest.PostAsync("/v1/functions/async-strict:enqueue?callbackUrl=%2Fhook", new StringContent("x"));
        using var badKey = new HttpRequestMessage(HttpMethod.Post, "/v1/functions/async-strict:enqueue") { Content = new StringContent("x") };
        badKey.Headers.TryAddWithoutValidation("Idempotency-Key", "has spaces in it");
        using var badKeyResponse = await mesh.Rest.SendAsync(badKey);
        using var tooLarge = await mesh.Rest.PostAsync("/v1/functions/async-strict:enqueue", new ByteArrayContent(new byte[(6 * 1024 * 1024) + 1]));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCallback.StatusCode);
        Assert.Contains("callback URL", await badCallback.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, relativeCallback.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKeyResponse.StatusCode);
        Assert.Contains("idempotency key", await badKeyResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        var grpcError = await Assert.ThrowsAsync<RpcException>(() => mesh.Invocations.EnqueueAsync(
            new EnqueueRequest { Name = "async-strict", CallbackUrl = "not a url" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, grpcError.StatusCode);

        var list = await mesh.Executions.ListExecutionsAsync(new ListExecutionsRequest { Function = "async-strict" });
        Assert.Empty(list.Executions);
        var stats = await mesh.Invocations.GetQueueStatsAsync(new GetQueueStatsRequest { Name = "async-strict" });
        Assert.Equal(0ul, stats.Queued + stats.Delayed + stats.Running + stats.DeadLettered);
    }

    [Fact]
    public async Task Queue_depths_and_async_counters_are_exported_as_metrics()
    {
        await mesh.DeployAsync("async-metrics", "echo");
        var id = await EnqueueAsync("async-metrics", "m");
        await WaitForStatusAsync(id, "SUCCEEDED");

        using var scheduler = mesh.App.CreateHttpClient("scheduler", "http", bearer: mesh.MetricsToken);
        var metrics = await MeshFixture.EventuallyAsync(
            () => scheduler.GetStringAsync("/metrics"),
            text => text.Contains("faas_async_completed", StringComparison.Ordinal) && text.Contains("function=\"async-metrics\",state=\"queued\"", StringComparison.Ordinal),
            Within);
        Assert.Contains("faas_async_completed", metrics);
        Assert.Contains("faas_queues_ready", metrics);
        Assert.Contains("faas_async_in_flight", metrics);
        Assert.Contains("function=\"async-metrics\",state=\"queued\"", metrics); // the backlog gauge names the function
    }

    [Fact]
    [Trait("Category", "Security")]
    public async Task An_invocation_whose_module_no_worker_can_load_uses_its_attempts_and_is_dead_lettered()
    {
        // READY, yet refused by every worker's instance pool: a module stored before deploys checked the workers' limits.
        await DeployBypassingValidationAsync(
            "async-unloadable", "(module (memory (export \"memory\") 1) (table 100000000 funcref) (func (export \"_start\")))", new { maxRetries = 2 });

        var id = await EnqueueAsync("async-unloadable", "");

        var execution = await WaitForStatusAsync(id, "DEAD_LETTERED");
        var attempts = execution.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.GetProperty("number").GetInt32()));
        Assert.All(attempts, a => Assert.Contains("exceeds the limit of 20000", a.GetProperty("error").GetString()));

        // A synchronous call is answered at once with the same reason.
        using var response = await mesh.InvokeAsync("async-unloadable", "");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("exceeds the limit of 20000", await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Stores a READY function whose module the gateway never validated, as a platform without a check would have left
    /// it: a copy of a deployed function (its tenant, config and state) with <paramref name="wat"/> as its module.
    /// </summary>
    private async Task DeployBypassingValidationAsync(string name, string wat, object config)
    {
        var template = name + "-template";
        await mesh.DeployAsync(template, "echo", config);
        var wasm = Wasmtime.Module.ConvertText(wat);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(wasm));
        await using var database = Npgsql.NpgsqlDataSource.Create(mesh.App.GetConnectionString("faasdb"));
        await using (var artifact = database.CreateCommand("INSERT INTO artifacts (sha256, wasm, size_bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
        {
            artifact.Parameters.AddWithValue(sha256);
            artifact.Parameters.AddWithValue(wasm);
            artifact.Parameters.AddWithValue(wasm.Length);
            await artifact.ExecuteNonQueryAsync();
        }

        await using var copy = database.CreateCommand(
            """
            WITH source AS (SELECT id, tenant_id FROM functions WHERE name = $1),
                 copied AS (INSERT INTO functions (id, tenant_id, name, latest_version)
                            SELECT gen_random_uuid(), tenant_id, $2, 1 FROM source RETURNING id)
            INSERT INTO function_versions (function_id, version, language, state, module_sha256, config)
            SELECT copied.id, 1, 'wasm', v.state, $3, v.config FROM copied, source JOIN function_versions v ON v.function_id = source.id AND v.version = 1
            """);
        copy.Parameters.AddWithValue(template);
        copy.Parameters.AddWithValue(name);
        copy.Parameters.AddWithValue(sha256);
        Assert.Equal(1, await copy.ExecuteNonQueryAsync());
    }

    private async Task<string> EnqueueAsync(string function, string payload, string query = "")
    {
        using var response = await mesh.Rest.PostAsync($"/v1/functions/{function}:enqueue{query}", new StringContent(payload));
        var body = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"enqueue to {function}: {(int)response.StatusCode} {body}");
        return body.GetProperty("executionId").GetString()!;
    }

    private async Task<JsonElement> EnqueueWithKeyAsync(string key, string payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/functions/async-idem:enqueue") { Content = new StringContent(payload) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await mesh.Rest.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await JsonAsync(response);
    }

    private async Task<JsonElement> GetExecutionAsync(string id)
    {
        using var response = await mesh.Rest.GetAsync($"/v1/executions/{id}");
        var body = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"execution {id}: {(int)response.StatusCode} {body}");
        return body;
    }

    private async Task<JsonElement> WaitForStatusAsync(string id, string status)
    {
        var execution = await MeshFixture.EventuallyAsync(() => GetExecutionAsync(id), e => e.GetProperty("status").GetString() == status, Within);
        Assert.True(execution.GetProperty("status").GetString() == status, $"execution {id} is not {status}: {execution}");
        return execution;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
