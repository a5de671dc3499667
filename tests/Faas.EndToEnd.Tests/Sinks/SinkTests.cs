using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Security.Claims;
using System.Text.Json;
using Faas.Protos.V1;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.EndToEnd.Tests.Sinks;

/// <summary>
/// The sink manager through the real mesh: credentials and tokens, heartbeats and offline detection, redelivery, memory
/// classes, drain on delete, the built-in workers as sinks, and the Node.js sample sink running JavaScript.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SinkTests(SinkMeshFixture mesh) : IClassFixture<SinkMeshFixture>
{
    private HttpClient Rest => mesh.Rest;

    private Task<HttpResponseMessage> InvokeAsync(string function, string payload) =>
        Rest.PostAsync($"/v1/functions/{function}:invoke", new StringContent(payload));

    [Fact]
    public async Task The_built_in_workers_are_sinks_listed_with_state_capacity_load_and_heartbeat()
    {
        var sinks = await MeshFixture.EventuallyAsync(mesh.SinksAsync, s => s.Count(x => x.GetProperty("state").GetString() == "SINK_ONLINE") >= 2);

        foreach (var name in new[] { "worker-0", "worker-1" })
        {
            var sink = sinks.Single(s => s.GetProperty("name").GetString() == name);
            Assert.Equal("SINK_ONLINE", sink.GetProperty("state").GetString());
            Assert.Equal(mesh.App.GetEndpoint(name, "grpc").ToString().TrimEnd('/'), sink.GetProperty("pushAddress").GetString());
            var capacity = sink.GetProperty("capacity");
            Assert.Equal(SinkMeshFixture.WorkerMemoryMb, capacity.GetProperty("memoryMb").GetInt32());
            Assert.True(capacity.GetProperty("slots").GetInt32() >= 1);
            Assert.Equal(["wasm"], capacity.GetProperty("runtimes").EnumerateArray().Select(r => r.GetString()));
            Assert.True(sink.GetProperty("load").GetProperty("memoryBytes").GetInt64() > 0, "a worker reports the memory it uses");
            var lastHeartbeat = sink.GetProperty("lastHeartbeatAt").GetDateTimeOffset();
            Assert.True(DateTimeOffset.UtcNow - lastHeartbeat < TimeSpan.FromSeconds(10), $"last heartbeat {lastHeartbeat:O}");
        }

        // The dashboard shows them too: each worker's sink on its resource, every sink on the sink manager's.
        var worker = await mesh.App.WaitForResourceAsync("worker-0", r => r.Properties.GetValueOrDefault("faas.sink.state") == "ONLINE");
        Assert.Contains("slots", worker.Properties["faas.sink.capacity"], StringComparison.Ordinal);
        var sinkManager = await mesh.App.WaitForResourceAsync("sinkmanager", r => r.Properties.ContainsKey("faas.sinks"));
        Assert.Contains("worker-0 ONLINE", sinkManager.Properties["faas.sinks"], StringComparison.Ordinal);

        using var one = await Rest.GetAsync($"/v1/sinks/{sinks[0].GetProperty("sinkId").GetString()}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        using var none = await Rest.GetAsync("/v1/sinks/no-such-sink");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task A_wrong_secret_an_unknown_credential_or_no_token_is_refused()
    {
        var (_, secret) = await mesh.CreateCredentialAsync("wrong-secret-test");
        var client = new SinkProtocol.SinkProtocolClient(mesh.SinkManager);

        var wrong = secret[..^4] + (secret.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        foreach (var credential in new[] { wrong, "fsc_" + Guid.NewGuid().ToString("N") + "_" + secret[^43..], "not-a-credential" })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.LoginAsync(new SinkLoginRequest { Credential = credential }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => client.RegisterAsync(new RegisterSinkRequest { Name = "anonymous" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);

        // REST through transcoding says the same with 401.
        using var rest = new HttpClient { BaseAddress = mesh.App.GetEndpoint("sinkmanager", "http") };
        using var login = await rest.PostAsJsonAsync("/v1/sink:login", new { credential = wrong });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        using var good = await rest.PostAsJsonAsync("/v1/sink:login", new { credential = secret });
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_a_revoked_credential_stops_its_tokens_and_sinks()
    {
        var (id, secret) = await mesh.CreateCredentialAsync("revoke-test");
        var client = new SinkProtocol.SinkProtocolClient(mesh.SinkManager);

        // A token signed with the sink manager's real key, for this credential, that expired a minute ago.
        var key = new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(mesh.App.State.SinkTokenKeyFile).Trim()));
        var expired = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", id)]),
            Issuer = "faas-sinkmanager",
            Audience = "faas-sink",
            IssuedAt = DateTime.UtcNow.AddMinutes(-20),
            NotBefore = DateTime.UtcNow.AddMinutes(-20),
            Expires = DateTime.UtcNow.AddMinutes(-1),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        var stale = await Assert.ThrowsAsync<RpcException>(() => client.RegisterAsync(
            new RegisterSinkRequest { Name = "stale", Capacity = new SinkCapacity { Slots = 1, MemoryMb = 64, Runtimes = { "javascript" } } },
            new Metadata { { "authorization", "Bearer " + expired } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, stale.StatusCode);
        Assert.Contains("expired", stale.Status.Detail, StringComparison.OrdinalIgnoreCase);

        await using var sink = await RawSink.StartAsync(mesh.SinkManager, secret, "revoked-sink");
        Assert.Equal("SINK_ONLINE", await mesh.SinkStateAsync("revoked-sink"));

        using var revoke = await Rest.DeleteAsync($"/v1/sinkCredentials/{id}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.True((await revoke.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("revokedAt", out _));

        var refused = await Assert.ThrowsAsync<RpcException>(sink.HeartbeatOnceAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail);
        Assert.Null(await mesh.SinkStateAsync("revoked-sink"));
        var relogin = await Assert.ThrowsAsync<RpcException>(() => client.LoginAsync(new SinkLoginRequest { Credential = secret }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, relogin.StatusCode);
    }

    [Fact]
    public async Task A_pulling_sink_that_stops_heartbeating_goes_offline_and_its_task_runs_on_another()
    {
        var (_, secret) = await mesh.CreateCredentialAsync("redelivery-test");
        await mesh.DeployJavaScriptAsync("redelivered-js");
        await using var first = await RawSink.StartAsync(mesh.SinkManager, secret, "silent-sink");

        var invocation = InvokeAsync("redelivered-js", "payload");
        var task = await first.NextTaskAsync();
        await first.AckAsync(task);
        Assert.Equal("payload", task.Payload.ToStringUtf8());
        Assert.Equal(1u, task.Delivery);

        // The first sink's machine freezes: no heartbeat, no result. A second sink is there to take over.
        await first.FallSilentAsync();
        await using var second = await RawSink.StartAsync(mesh.SinkManager, secret, "taking-over-sink");
        var again = await second.NextTaskAsync(TimeSpan.FromSeconds(20));
        // Acknowledged first, as a sink does: a task not acknowledged within its window goes to another sink.
        await second.AckAsync(again);
        Assert.Equal(task.ExecutionId, again.ExecutionId);
        Assert.Equal(2u, again.Delivery);
        Assert.Equal("SINK_OFFLINE", await mesh.SinkStateAsync("silent-sink"));
        await second.CompleteAsync(again, "from the second sink");

        using var response = await invocation;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("from the second sink", await response.Content.ReadAsStringAsync());

        // The frozen sink wakes up too late: its result is refused, not recorded twice.
        var late = await Assert.ThrowsAsync<RpcException>(() => first.CompleteAsync(task, "too late"));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal(SinkState.SinkOnline, await first.HeartbeatOnceAsync());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_built_in_worker_that_freezes_goes_offline_and_its_async_work_runs_on_the_other()
    {
        using (var deploy = await Rest.PostAsJsonAsync("/v1/functions", new { name = "busy", language = "wat", source = MeshFixture.Wat("busy"), config = new { timeoutMs = 60_000, maxRetries = 3 } }))
        {
            Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        }

        var frozen = mesh.App.GetResource("worker-0").Pid!.Value;
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                using var enqueued = await Rest.PostAsync("/v1/functions/busy:enqueue", new StringContent($"{i}"));
                Assert.Equal(HttpStatusCode.Accepted, enqueued.StatusCode);
                ids.Add((await enqueued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("executionId").GetString()!);
            }

            // Both workers get work; then worker-0 stops dead (its connections stay open: calls on it just hang).
            await MeshFixture.EventuallyAsync(async () => await CountRunningOnAsync(ids, "worker-0"), n => n > 0, TimeSpan.FromSeconds(20));
            Signal(frozen, "STOP");

            var finished = await MeshFixture.EventuallyAsync(
                async () => await Task.WhenAll(ids.Select(ExecutionAsync)),
                all => all.All(e => e.GetProperty("status").GetString() == "SUCCEEDED"),
                TimeSpan.FromSeconds(90));
            Assert.All(finished, e => Assert.Equal("SUCCEEDED", e.GetProperty("status").GetString()));
            Assert.Equal("SINK_OFFLINE", await mesh.SinkStateAsync("worker-0"));

            // What was running on the frozen worker ran again on the other, at once rather than after a backoff.
            var moved = finished.Where(e => e.GetProperty("attempts").GetArrayLength() > 1).ToList();
            Assert.NotEmpty(moved);
            Assert.All(moved, e =>
            {
                var attempts = e.GetProperty("attempts").EnumerateArray().ToList();
                Assert.Equal("worker-0", attempts[0].GetProperty("worker").GetString());
                Assert.Contains("offline", attempts[0].GetProperty("error").GetString());
                Assert.Equal("worker-1", e.GetProperty("worker").GetString());
            });
            foreach (var id in ids)
            {
                Assert.Equal("done", await Rest.GetStringAsync($"/v1/executions/{id}/output"));
            }
        }
        finally
        {
            Signal(frozen, "CONT");
        }

        Assert.Equal("SINK_ONLINE", await MeshFixture.EventuallyAsync(() => mesh.SinkStateAsync("worker-0"), s => s == "SINK_ONLINE", TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Functions_go_only_to_sinks_with_room_for_their_memory_and_one_no_sink_can_hold_is_reported()
    {
        using (var big = await Rest.PostAsJsonAsync("/v1/functions", new { name = "big-echo", language = "wat", source = MeshFixture.Wat("echo"), config = new { memoryMb = 2048 } }))
        {
            Assert.True(big.IsSuccessStatusCode, await big.Content.ReadAsStringAsync());
        }

        using (var small = await Rest.PostAsJsonAsync("/v1/functions", new { name = "small-echo", language = "wat", source = MeshFixture.Wat("echo"), config = new { memoryMb = 128 } }))
        {
            Assert.True(small.IsSuccessStatusCode, await small.Content.ReadAsStringAsync());
        }

        // The built-in workers offer 1024 MB: a function of 2048 MB has nowhere to go.
        using (var refused = await InvokeAsync("big-echo", "x"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var message = await refused.Content.ReadAsStringAsync();
            Assert.Contains("2048 MB", message);
            Assert.Contains($"{SinkMeshFixture.WorkerMemoryMb} MB", message);
        }

        // A sink with 4096 MB joins: the big function goes there and only there; the small one stays on the workers.
        var (_, secret) = await mesh.CreateCredentialAsync("memory-test");
        await using var large = await RawSink.StartAsync(mesh.SinkManager, secret, "large-sink", runtime: "wasm", memoryMb: 4096, slots: 4);
        await MeshFixture.EventuallyAsync(() => mesh.SinkStateAsync("large-sink"), s => s == "SINK_ONLINE");

        var bigCall = InvokeAsync("big-echo", "big payload");
        var task = await large.NextTaskAsync();
        Assert.Equal(2048u, task.Function.MemoryMb);
        await large.AckAsync(task);
        await large.CompleteAsync(task, "ran on the large sink");
        using (var bigResponse = await bigCall)
        {
            Assert.Equal("ran on the large sink", await bigResponse.Content.ReadAsStringAsync());
        }

        for (var i = 0; i < 5; i++)
        {
            using var smallResponse = await InvokeAsync("small-echo", $"small {i}");
            Assert.Equal(HttpStatusCode.OK, smallResponse.StatusCode);
            Assert.Equal($"small {i}", await smallResponse.Content.ReadAsStringAsync());
            var id = smallResponse.Headers.GetValues("x-execution-id").Single();
            var execution = await MeshFixture.EventuallyAsync(() => ExecutionAsync(id), e => e.TryGetProperty("worker", out _));
            Assert.StartsWith("worker-", execution.GetProperty("worker").GetString());
        }
    }

    [Fact]
    public async Task A_deleted_sink_finishes_its_task_takes_no_new_one_and_is_then_gone()
    {
        var (_, secret) = await mesh.CreateCredentialAsync("drain-test");
        await mesh.DeployJavaScriptAsync("drained-js");
        await using var draining = await RawSink.StartAsync(mesh.SinkManager, secret, "draining-sink", slots: 4);

        var firstCall = InvokeAsync("drained-js", "first");
        var held = await draining.NextTaskAsync();
        await draining.AckAsync(held);

        using (var delete = await Rest.DeleteAsync($"/v1/sinks/{draining.SinkId}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Equal("SINK_DRAINING", (await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        Assert.Equal(SinkState.SinkDraining, await draining.HeartbeatOnceAsync());

        // New work goes to another sink while the draining one finishes.
        await using var other = await RawSink.StartAsync(mesh.SinkManager, secret, "other-sink");
        var secondCall = InvokeAsync("drained-js", "second");
        var second = await other.NextTaskAsync();
        Assert.Equal("second", second.Payload.ToStringUtf8());
        await other.AckAsync(second);
        await other.CompleteAsync(second, "second done");

        await draining.CompleteAsync(held, "first done");
        using (var first = await firstCall)
        {
            Assert.Equal("first done", await first.Content.ReadAsStringAsync());
        }

        using (var secondResponse = await secondCall)
        {
            Assert.Equal("second done", await secondResponse.Content.ReadAsStringAsync());
        }

        Assert.Null(await MeshFixture.EventuallyAsync(() => mesh.SinkStateAsync("draining-sink"), s => s is null));
        Assert.Equal(SinkState.SinkDeleted, await draining.HeartbeatOnceAsync());
    }

    [Fact]
    public async Task A_function_no_online_sink_runs_is_dead_lettered_with_the_reason_rather_than_left_waiting()
    {
        await mesh.DeployJavaScriptAsync("nowhere-js", config: new { maxRetries = 0 });

        using var enqueued = await Rest.PostAsync("/v1/functions/nowhere-js:enqueue", new StringContent("x"));
        Assert.Equal(HttpStatusCode.Accepted, enqueued.StatusCode);
        var id = (await enqueued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("executionId").GetString()!;

        var execution = await MeshFixture.EventuallyAsync(() => ExecutionAsync(id), e => e.GetProperty("status").GetString() == "DEAD_LETTERED", TimeSpan.FromSeconds(30));
        Assert.Equal("DEAD_LETTERED", execution.GetProperty("status").GetString());
        Assert.Contains("'javascript'", execution.GetProperty("error").GetString());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task The_node_sample_sink_runs_javascript_functions_end_to_end()
    {
        var folder = NodeSinkFolder();
        var (_, secret) = await mesh.CreateCredentialAsync("node-sample");
        var start = new ProcessStartInfo("node", "sink.js") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["FAAS_SINK_MANAGER"] = mesh.App.GetEndpoint("sinkmanager", "grpc").ToString();
        start.Environment["FAAS_SINK_CREDENTIAL"] = secret;
        start.Environment["FAAS_SINK_NAME"] = "node-sample";
        using var node = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        node.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        node.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            var state = await MeshFixture.EventuallyAsync(() => mesh.SinkStateAsync("node-sample"), s => s == "SINK_ONLINE", TimeSpan.FromSeconds(30));
            Assert.True(state == "SINK_ONLINE", $"the node sink did not come online: {log}");

            await mesh.DeployJavaScriptAsync("upper-js", File.ReadAllText(Path.Combine(folder, "examples", "upper.js")));
            using (var response = await InvokeAsync("upper-js", "hello from the mesh"))
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}; sink log: {log}");
                Assert.Equal("HELLO FROM THE MESH", await response.Content.ReadAsStringAsync());
            }

            using var enqueued = await Rest.PostAsync("/v1/functions/upper-js:enqueue", new StringContent("queued"));
            var id = (await enqueued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("executionId").GetString()!;
            var execution = await MeshFixture.EventuallyAsync(() => ExecutionAsync(id), e => e.GetProperty("status").GetString() == "SUCCEEDED", TimeSpan.FromSeconds(30));
            Assert.Equal("SUCCEEDED", execution.GetProperty("status").GetString());
            Assert.Equal("QUEUED", await Rest.GetStringAsync($"/v1/executions/{id}/output"));
            Assert.Equal("node-sample", execution.GetProperty("worker").GetString());

            // A JavaScript function that throws is a failure with its stderr, as from a built-in worker.
            await mesh.DeployJavaScriptAsync("throws-js", "throw new Error('broken on purpose')");
            using var failed = await InvokeAsync("throws-js", "");
            Assert.False(failed.IsSuccessStatusCode);
            Assert.Contains("broken on purpose", await failed.Content.ReadAsStringAsync());
        }
        finally
        {
            Signal(node.Id, "TERM");
            await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        }

        // It deregistered on the way out.
        Assert.Null(await MeshFixture.EventuallyAsync(() => mesh.SinkStateAsync("node-sample"), s => s is null));
    }

    private async Task<JsonElement> ExecutionAsync(string id) => await Rest.GetFromJsonAsync<JsonElement>($"/v1/executions/{id}");

    private async Task<int> CountRunningOnAsync(IEnumerable<string> ids, string worker) =>
        (await Task.WhenAll(ids.Select(ExecutionAsync))).Count(e =>
            e.GetProperty("status").GetString() == "RUNNING" && e.TryGetProperty("worker", out var w) && w.GetString() == worker);

    [UnsupportedOSPlatform("windows")]
    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { RedirectStandardError = true })!;
        kill.WaitForExit();
    }

    /// <summary>samples/sinks/node with its packages installed (.ci/run runs <c>npm ci</c> there).</summary>
    private static string NodeSinkFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")))
            {
                var sink = Path.Combine(folder.FullName, "samples", "sinks", "node");
                Assert.True(Directory.Exists(Path.Combine(sink, "node_modules", "@grpc")), $"Run `npm ci` in {sink} first (.ci/run does).");
                return sink;
            }
        }

        throw new InvalidOperationException("The repository root (Faas.sln) is not above the test's folder.");
    }
}
