using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Faas.EndToEnd.Tests.Auth;

/// <summary>Tenant quotas enforced through the real mesh, administrators at work, and function secrets that stay secret.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QuotaAndSecretTests(MeshFixture mesh) : IAsyncLifetime
{
    private TenantSession bob = null!;

    public async Task InitializeAsync() => bob = await TenantSession.RegisterAsync(mesh.App, "quota");

    public Task DisposeAsync()
    {
        bob.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_first_start_wrote_the_administrators_key_readable_by_its_owner_only()
    {
        var file = mesh.App.State.AdminKeyFile;
        Assert.StartsWith("faas_", mesh.App.AdminKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task A_tenant_over_its_function_quota_gets_429_and_may_still_deploy_new_versions()
    {
        await SetQuotaAsync(new { maxFunctions = 2 });
        await MeshFixture.DeployAsync(bob.Rest, "first", "echo");
        await MeshFixture.DeployAsync(bob.Rest, "second", "echo");

        using var third = await bob.Rest.PostAsJsonAsync("/v1/functions", new { name = "third", language = "wat", source = MeshFixture.Wat("echo") });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Contains("quota of 2 functions", await third.Content.ReadAsStringAsync());

        // A new version of an existing function is not a new function.
        await MeshFixture.DeployAsync(bob.Rest, "first", "echo");
        using (var list = await bob.Rest.GetAsync("/v1/functions"))
        {
            Assert.DoesNotContain("\"third\"", await list.Content.ReadAsStringAsync());
        }

        // Deleting one makes room.
        using var deleted = await bob.Rest.DeleteAsync("/v1/functions/second");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await MeshFixture.DeployAsync(bob.Rest, "third", "echo");
    }

    [Fact]
    public async Task A_tenant_over_its_invocation_rate_gets_429_with_retry_after()
    {
        await MeshFixture.DeployAsync(bob.Rest, "rated", "echo");
        await SetQuotaAsync(new { invocationsPerSecond = 1, invocationBurst = 3 });

        var calls = Enumerable.Range(0, 12).Select(i => bob.Rest.PostAsync("/v1/functions/rated:invoke", new StringContent($"{i}"))).ToList();

        // An enqueue draws on the same quota: sent as soon as a call was refused, before a second has refilled a token
        // (the calls that were let through may take longer than that: their function is cold).
        var pending = calls.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if ((await done).StatusCode == HttpStatusCode.TooManyRequests)
            {
                break;
            }
        }

        using (var enqueue = await bob.Rest.PostAsync("/v1/functions/rated:enqueue", new StringContent("x")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, enqueue.StatusCode);
        }

        var responses = await Task.WhenAll(calls);
        try
        {
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(refused);
            Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            Assert.NotNull(refused[0].Headers.RetryAfter);
            Assert.Contains("invocations per second", await refused[0].Content.ReadAsStringAsync());
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        // Another tenant is not slowed down by bob's quota.
        using var admin = await mesh.InvokeAsync("missing-function-of-the-admin", "x");
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
    }

    [Fact]
    public async Task A_tenant_at_its_concurrency_quota_gets_429_until_a_run_ends()
    {
        await MeshFixture.DeployAsync(bob.Rest, "busy", "spin", new { timeoutMs = 4000 });
        await MeshFixture.DeployAsync(bob.Rest, "quick", "echo");
        await SetQuotaAsync(new { maxConcurrentExecutions = 1 });

        var spinning = bob.Rest.PostAsync("/v1/functions/busy:invoke", new StringContent(""));

        // Wait until the scheduler counts the spinning run against bob's tenant.
        using var scheduler = mesh.App.CreateHttpClient("scheduler", "http", bearer: mesh.MetricsToken);
        bool Counted(string text) => text.Split('\n').Any(line =>
            line.StartsWith("faas_scheduler_tenant_in_flight{", StringComparison.Ordinal)
            && line.Contains($"tenant=\"{bob.TenantId}\"", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
        var metrics = await MeshFixture.EventuallyAsync(() => scheduler.GetStringAsync("/metrics"), Counted);
        Assert.True(Counted(metrics), "The scheduler never counted the spinning run: " + string.Join('\n', metrics.Split('\n').Where(l => l.Contains("tenant_in_flight", StringComparison.Ordinal))));

        var stopwatch = Stopwatch.StartNew();
        HttpResponseMessage? refused = null;
        while (refused is null && !spinning.IsCompleted && stopwatch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var attempt = await bob.Rest.PostAsync("/v1/functions/quick:invoke", new StringContent("hi"));
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = attempt;
            }
            else
            {
                attempt.Dispose();
                await Task.Delay(50);
            }
        }

        if (refused is null)
        {
            using var ended = await spinning;
            Assert.Fail($"No call was refused while the first ran; it ended with {(int)ended.StatusCode} {await ended.Content.ReadAsStringAsync()}");
        }

        using (refused)
        {
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("concurrent executions", await refused.Content.ReadAsStringAsync());
        }

        using (var timedOut = await spinning)
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, timedOut.StatusCode);
        }

        // The slot is back.
        using var after = await bob.Rest.PostAsync("/v1/functions/quick:invoke", new StringContent("again"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task An_administrator_adds_a_user_to_a_tenant_who_then_sees_its_functions()
    {
        await MeshFixture.DeployAsync(bob.Rest, "team-function", "echo");
        var email = $"colleague-{Guid.NewGuid():N}@example.com";
        using (var created = await mesh.Rest.PostAsJsonAsync("/v1/users", new { email, password = "a long enough password", role = "DEVELOPER", tenant = bob.Tenant }))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        var (token, user) = await TenantSession.LoginAsync(anonymous, email, "a long enough password");
        Assert.Equal(bob.TenantId, user.GetProperty("tenantId").GetString());
        using var colleague = mesh.App.CreateHttpClient("gateway", "http", bearer: token);
        using var invoke = await colleague.PostAsync("/v1/functions/team-function:invoke", new StringContent("together"));
        Assert.Equal("together", await invoke.Content.ReadAsStringAsync());

        using var tenants = await mesh.Rest.GetAsync("/v1/tenants");
        Assert.Contains(bob.Tenant, await tenants.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_secret_reaches_the_function_and_no_response_log_line_or_database_column()
    {
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        using (var deploy = await bob.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "with-secret",
            language = "wat",
            source = MeshFixture.Wat("env"),
            config = new { env = new Dictionary<string, string> { ["PLAIN"] = "visible" }, secrets = new Dictionary<string, string> { ["API_TOKEN"] = secret } },
        }))
        {
            var body = await deploy.Content.ReadAsStringAsync();
            Assert.True(deploy.IsSuccessStatusCode, body);
            Assert.DoesNotContain(secret, body);
            Assert.Contains("API_TOKEN", JsonDocument.Parse(body).RootElement.GetProperty("config").GetProperty("secretNames")[0].GetString());
        }

        using (var invoke = await bob.Rest.PostAsync("/v1/functions/with-secret:invoke", new StringContent("")))
        {
            var output = await invoke.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, invoke.StatusCode);
            Assert.Contains($"API_TOKEN={secret}", output);
            Assert.Contains("PLAIN=visible", output);
        }

        foreach (var path in new[] { "/v1/functions/with-secret", "/v1/functions/with-secret/versions/1", "/v1/functions/with-secret/versions", "/v1/functions", "/v1/executions?function=with-secret" })
        {
            using var response = await bob.Rest.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {text}");
            Assert.DoesNotContain(secret, text);
        }

        // A name both in env and in secrets is refused, naming the variable but never a value.
        using (var clash = await bob.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "clash", language = "wat", source = MeshFixture.Wat("env"),
            config = new { env = new Dictionary<string, string> { ["API_TOKEN"] = "a" }, secrets = new Dictionary<string, string> { ["API_TOKEN"] = secret } },
        }))
        {
            var text = await clash.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, clash.StatusCode);
            Assert.Contains("API_TOKEN", text);
            Assert.DoesNotContain(secret, text);
        }

        foreach (var resource in mesh.App.ResourceNames)
        {
            Assert.DoesNotContain(secret, mesh.App.GetConsoleLog(resource));
        }

        Assert.Contains("Now listening on", mesh.App.GetConsoleLog("gateway"), StringComparison.Ordinal); // the logs were read, not just absent

        var dump = await DumpDatabaseAsync();
        Assert.Contains("with-secret", dump);
        Assert.DoesNotContain(secret, dump);
    }

    [Fact]
    public async Task Secrets_change_as_a_new_version_without_a_build_and_never_show_their_values()
    {
        var (first, second) = ("one-" + Guid.NewGuid().ToString("N"), "two-" + Guid.NewGuid().ToString("N"));
        using (var deploy = await bob.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "rotating", language = "wat", source = MeshFixture.Wat("env"),
            config = new { env = new Dictionary<string, string> { ["PLAIN"] = "visible" }, secrets = new Dictionary<string, string> { ["OLD_TOKEN"] = first } },
        }))
        {
            Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        }

        async Task<(HttpStatusCode Status, string Body)> PatchAsync(string name, object body)
        {
            using var response = await bob.Rest.PatchAsJsonAsync($"/v1/functions/{name}/secrets", body);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, text) = await PatchAsync("rotating", new { set = new Dictionary<string, string> { ["NEW_TOKEN"] = second }, remove = new[] { "OLD_TOKEN" } });
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.DoesNotContain(second, text);
        var version = JsonDocument.Parse(text).RootElement;
        Assert.Equal(2, version.GetProperty("version").GetInt32());
        Assert.Equal(["NEW_TOKEN"], version.GetProperty("config").GetProperty("secretNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("READY", version.GetProperty("state").GetString());

        using (var invoke = await bob.Rest.PostAsync("/v1/functions/rotating:invoke", new StringContent("")))
        {
            var output = await invoke.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, invoke.StatusCode);
            Assert.Contains($"NEW_TOKEN={second}", output);
            Assert.DoesNotContain("OLD_TOKEN", output);
            Assert.Contains("PLAIN=visible", output);
        }

        // Refused, saying why: nothing to do, a name both set and removed, a secret it does not have, a bad name, a clash
        // with env, another tenant's function, a function that does not exist.
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync("rotating", new { })).Status);
        var both = await PatchAsync("rotating", new { set = new Dictionary<string, string> { ["NEW_TOKEN"] = "x" }, remove = new[] { "NEW_TOKEN" } });
        Assert.Equal(HttpStatusCode.BadRequest, both.Status);
        Assert.Contains("NEW_TOKEN", both.Body);
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync("rotating", new { remove = new[] { "NEVER_SET" } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync("rotating", new { set = new Dictionary<string, string> { ["1BAD"] = "x" } })).Status);
        var clash = await PatchAsync("rotating", new { set = new Dictionary<string, string> { ["PLAIN"] = second } });
        Assert.Equal(HttpStatusCode.BadRequest, clash.Status);
        Assert.DoesNotContain(second, clash.Body);
        using (var stranger = await TenantSession.RegisterAsync(mesh.App, "secrets-stranger"))
        using (var theirs = await stranger.Rest.PatchAsJsonAsync("/v1/functions/rotating/secrets", new { remove = new[] { "NEW_TOKEN" } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync("no-such-function", new { remove = new[] { "X" } })).Status);
        // No refusal made a version.
        using var versions = await bob.Rest.GetAsync("/v1/functions/rotating/versions");
        Assert.Equal(2, JsonDocument.Parse(await versions.Content.ReadAsStringAsync()).RootElement.GetProperty("versions").GetArrayLength());
    }

    private async Task SetQuotaAsync(object quota)
    {
        using var response = await mesh.Rest.PutAsJsonAsync($"/v1/tenants/{bob.Tenant}/quota", quota);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every table of the mesh's database as pg_dump writes it (data included).</summary>
    private async Task<string> DumpDatabaseAsync()
    {
        var pgDump = Directory.GetFiles("/usr/lib/postgresql", "pg_dump", SearchOption.AllDirectories).OrderDescending().First();
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(mesh.App.GetConnectionString("faasdb"));
        var start = new ProcessStartInfo(pgDump)
        {
            ArgumentList = { "--data-only", "--inserts", "-h", connection.Host!, "-p", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", connection.Username!, connection.Database! },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (!string.IsNullOrEmpty(connection.Password))
        {
            start.Environment["PGPASSWORD"] = connection.Password;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "pg_dump failed: " + await stderr);
        return await stdout;
    }
}
