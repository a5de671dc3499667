using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;
using Faas.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// Functions' logs through the whole mesh: what runs write to stderr (and asynchronous runs' stdout) is kept with its
/// execution, version and time, read back and followed live over gRPC and REST, capped per execution, and never shown
/// to another tenant. The function is <c>Functions/logger.c</c>, built by the mesh's compiler.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LogsTests(MeshFixture mesh) : IAsyncLifetime
{
    private const string Logger = "logger";
    private TenantSession owner = null!;
    private TenantSession other = null!;

    public async Task InitializeAsync()
    {
        owner = await TenantSession.RegisterAsync(mesh.App, "logs-owner");
        other = await TenantSession.RegisterAsync(mesh.App, "logs-other");
        await DeployAsync(owner.Rest, Logger);
        await DeployAsync(other.Rest, Logger);
    }

    public Task DisposeAsync()
    {
        owner.Dispose();
        other.Dispose();
        return Task.CompletedTask;
    }

    private static async Task DeployAsync(HttpClient rest, string name)
    {
        using var response = await rest.PostAsJsonAsync("/v1/functions?wait=true", new { name, language = "c", source = MeshFixture.Sample("logger.c") });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode && body.Contains("READY", StringComparison.Ordinal), $"deploy {name}: {(int)response.StatusCode} {body}");
    }

    private static async Task<string> InvokeAsync(TenantSession tenant, string payload)
    {
        using var response = await tenant.Rest.PostAsync($"/v1/functions/{Logger}:invoke", new StringContent(payload));
        return Assert.Single(response.Headers.GetValues("x-execution-id"));
    }

    private static Logs.LogsClient Client(TenantSession tenant) => new(tenant.Channel);

    /// <summary>Reads the lines of one execution until <paramref name="done"/> holds (lines are written off the call's path).</summary>
    private static async Task<List<LogEntry>> ReadAsync(TenantSession tenant, string executionId, Func<List<LogEntry>, bool> done)
    {
        return await MeshFixture.EventuallyAsync(async () =>
        {
            using var call = Client(tenant).ReadLogs(new ReadLogsRequest { Name = Logger, ExecutionId = executionId, Tail = 10_000 });
            return await call.ResponseStream.ReadAllAsync().ToListAsync();
        }, done);
    }

    [Fact]
    public async Task A_runs_stderr_lines_are_kept_with_its_execution_version_and_time()
    {
        var before = DateTimeOffset.UtcNow;
        var id = await InvokeAsync(owner, "first\nsecond");

        var lines = await ReadAsync(owner, id, l => l.Count >= 2);

        Assert.Equal(["log: first", "log: second"], lines.Select(l => l.Text));
        Assert.All(lines, l =>
        {
            Assert.Equal(id, l.ExecutionId);
            Assert.Equal(Logger, l.Function);
            Assert.Equal(1u, l.Version);
            Assert.Equal(Protos.V1.LogStream.Stderr, l.Stream);
            Assert.InRange(l.Time.ToDateTimeOffset(), before.AddSeconds(-1), DateTimeOffset.UtcNow);
        });
    }

    [Fact]
    public async Task A_failed_runs_lines_are_kept_too()
    {
        var id = await InvokeAsync(owner, "fail");

        var lines = await ReadAsync(owner, id, l => l.Count >= 1);

        Assert.Equal("about to fail", Assert.Single(lines).Text);
    }

    [Fact]
    public async Task An_asynchronous_runs_stdout_is_logged_beside_its_stderr()
    {
        var enqueued = await new Invocations.InvocationsClient(owner.Channel).EnqueueAsync(new EnqueueRequest
        {
            Name = Logger,
            Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("queued") },
        });

        var lines = await ReadAsync(owner, enqueued.ExecutionId, l => l.Count >= 2);

        Assert.Contains(lines, l => l.Stream == Protos.V1.LogStream.Stderr && l.Text == "log: queued");
        Assert.Contains(lines, l => l.Stream == Protos.V1.LogStream.Stdout && l.Text == "out: queued");
    }

    [Fact]
    public async Task An_executions_log_is_cut_at_its_cap_and_says_so()
    {
        var id = await InvokeAsync(owner, "big 100000");

        var lines = await ReadAsync(owner, id, l => l.Any(e => e.Stream == Protos.V1.LogStream.Platform));

        var kept = lines.Where(l => l.Stream == Protos.V1.LogStream.Stderr).Sum(l => Encoding.UTF8.GetByteCount(l.Text) + 1);
        Assert.InRange(kept, 60 * 1024, 64 * 1024 + 700);
        Assert.StartsWith("log cut: ", lines[^1].Text);
        Assert.Equal(Protos.V1.LogStream.Platform, lines[^1].Stream);
    }

    [Fact]
    public async Task Several_followers_each_see_a_new_line_and_another_tenants_follower_sees_none_of_it()
    {
        var since = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var marker = $"followed {Guid.NewGuid():N}";
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task<LogEntry?> FollowAsync(TenantSession tenant, CancellationToken cancellationToken)
        {
            using var call = Client(tenant).ReadLogs(new ReadLogsRequest { Name = Logger, Follow = true, Since = since }, cancellationToken: cancellationToken);
            try
            {
                await foreach (var entry in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    if (entry.Text.Contains(marker, StringComparison.Ordinal))
                    {
                        return entry;
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }

            return null;
        }

        var followers = Enumerable.Range(0, 3).Select(_ => FollowAsync(owner, stop.Token)).ToList();
        using var otherStop = new CancellationTokenSource();
        var stranger = FollowAsync(other, otherStop.Token);

        var id = await InvokeAsync(owner, marker);
        var seen = await Task.WhenAll(followers);

        Assert.All(seen, entry => Assert.Equal(id, entry?.ExecutionId));
        // The other tenant's function of the same name: its follower was open the whole time and saw nothing.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await otherStop.CancelAsync();
        Assert.Null(await stranger);
    }

    [Fact]
    public async Task A_follower_over_rest_gets_each_line_as_one_json_object()
    {
        var since = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var marker = $"rest {Guid.NewGuid():N}";
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/functions/{Logger}/logs?follow=true&since={Uri.EscapeDataString(since)}");
        using var response = await owner.Rest.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = await InvokeAsync(owner, marker);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        var body = new StringBuilder();
        JsonElement? found = null;
        while (found is null)
        {
            var chunk = new char[4096];
            var read = await reader.ReadAsync(chunk, stop.Token);
            Assert.True(read > 0, "the stream ended: " + body);
            body.Append(chunk, 0, read);
            found = Objects(body.ToString()).Cast<JsonElement?>().FirstOrDefault(o => o!.Value.GetProperty("text").GetString()!.Contains(marker, StringComparison.Ordinal));
        }

        Assert.Equal(id, found.Value.GetProperty("executionId").GetString());
        Assert.Equal("LOG_STREAM_STDERR", found.Value.GetProperty("stream").GetString());
    }

    /// <summary>The complete JSON objects in a streamed body (a log entry holds no nested object).</summary>
    private static IEnumerable<JsonElement> Objects(string body) =>
        System.Text.RegularExpressions.Regex.Matches(body, "\\{[^{}]*\\}").Select(m => JsonDocument.Parse(m.Value).RootElement.Clone());

    [Fact]
    public async Task Bad_reads_are_refused_with_what_is_wrong()
    {
        var client = Client(owner);
        async Task<RpcException> RefusedAsync(ReadLogsRequest request)
        {
            using var call = client.ReadLogs(request);
            return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
        }

        var missing = await RefusedAsync(new ReadLogsRequest { Name = "no-such-function" });
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var execution = await RefusedAsync(new ReadLogsRequest { Name = Logger, ExecutionId = "not-a-uuid" });
        Assert.Equal(StatusCode.InvalidArgument, execution.StatusCode);
        var tail = await RefusedAsync(new ReadLogsRequest { Name = Logger, Tail = 10_001 });
        Assert.Equal(StatusCode.InvalidArgument, tail.StatusCode);
        Assert.Contains("10000", tail.Status.Detail, StringComparison.Ordinal);

        // A tenant without a function of that name learns nothing of another tenant's, over gRPC or REST.
        using (var stranger = await TenantSession.RegisterAsync(mesh.App, "logs-stranger"))
        {
            using var call = Client(stranger).ReadLogs(new ReadLogsRequest { Name = Logger, Follow = true });
            var theirs = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.ReadAllAsync().ToListAsync().AsTask());
            Assert.Equal(StatusCode.NotFound, theirs.StatusCode);
            using var strangerRest = await stranger.Rest.GetAsync($"/v1/functions/{Logger}/logs");
            Assert.Equal(HttpStatusCode.NotFound, strangerRest.StatusCode);
        }

        using var rest = await owner.Rest.GetAsync("/v1/functions/no-such-function/logs");
        Assert.Equal(HttpStatusCode.NotFound, rest.StatusCode);
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var unauthenticated = await anonymous.GetAsync($"/v1/functions/{Logger}/logs");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }
}
