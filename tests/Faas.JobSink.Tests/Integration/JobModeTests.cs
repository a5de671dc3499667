using System.Net;
using System.Text;
using System.Text.Json;

namespace Faas.JobSink.Tests.Integration;

/// <summary>JOB-mode functions through the whole mesh (gateway, scheduler, runc), each invocation in a fresh container.</summary>
[Collection(JobMeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class JobModeTests(JobMeshFixture mesh)
{
    [Fact]
    public async Task Job_function_answers_like_a_warm_one_from_a_fresh_container_each_time()
    {
        await mesh.DeployJobAsync("job-echo", JobMeshFixture.Wat("echo"));

        var workers = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await mesh.Rest.PostAsync("/v1/functions/job-echo:invoke", new StringContent($"hello {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"hello {i}", await response.Content.ReadAsStringAsync());
            var execution = await GetExecutionAsync(response.Headers.GetValues("x-execution-id").Single());
            workers.Add(execution.GetProperty("worker").GetString()!);
        }

        Assert.All(workers, w => Assert.StartsWith("job:" + Containers.MeshPrefix, w));
        Assert.NotEqual(workers[0], workers[1]);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Later_calls_run_in_containers_prepared_ahead_each_used_once()
    {
        // A container size no other test uses: its first call creates its container and starts preparing more.
        await mesh.DeployJobAsync("job-prepared", JobMeshFixture.Wat("echo"), memoryMb: 48);
        var preparedBefore = await PreparedCountAsync();

        var workers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await mesh.Rest.PostAsync("/v1/functions/job-prepared:invoke", new StringContent($"call {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"call {i}", await response.Content.ReadAsStringAsync());
            workers.Add((await GetExecutionAsync(response.Headers.GetValues("x-execution-id").Single())).GetProperty("worker").GetString()!);
            if (i == 0)
            {
                await EventuallyAsync(PreparedCountAsync, count => count > preparedBefore);
            }
        }

        Assert.Equal(workers.Count, workers.Distinct().Count());
        using var jobs = mesh.App.CreateHttpClient("jobs", "http", bearer: JobMeshFixture.MetricsToken);
        var metrics = (await jobs.GetStringAsync("/metrics")).Split('\n');
        Assert.Contains(metrics, l => l.StartsWith("faas_jobs_launches", StringComparison.Ordinal) && l.Contains("container=\"prepared\"", StringComparison.Ordinal) && l.Contains("outcome=\"Ok\"", StringComparison.Ordinal));
        Assert.Contains(metrics, l => l.StartsWith("faas_jobs_prepared", StringComparison.Ordinal) && l.Contains("memory_mb=\"", StringComparison.Ordinal));
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Job_function_sees_its_own_environment_only()
    {
        await mesh.DeployJobAsync(
            "job-env", JobMeshFixture.Wat("env"), env: new Dictionary<string, string> { ["GREETING"] = "hi" },
            secrets: new Dictionary<string, string> { ["API_TOKEN"] = "sealed-until-the-container" });

        using var response = await mesh.Rest.PostAsync("/v1/functions/job-env:invoke", new StringContent(""));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("FAAS_FUNCTION=job-env", body);
        Assert.Contains("GREETING=hi", body);
        Assert.Contains("API_TOKEN=sealed-until-the-container", body);
        Assert.Contains("FAAS_EXECUTION_ID=" + response.Headers.GetValues("x-execution-id").Single(), body);
        Assert.DoesNotContain("PATH=", body);
    }

    [Fact]
    public async Task Job_function_cannot_reach_the_host_file_system()
    {
        await mesh.DeployJobAsync("job-peek", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Functions", "peek.wat")));

        using var response = await mesh.Rest.PostAsync("/v1/functions/job-peek:invoke", new StringContent(""));
        var codes = (await response.Content.ReadAsStringAsync()).Split(' ');

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, codes.Length);
        Assert.All(codes, code => Assert.NotEqual("000", code)); // no preopened directory, no file opened
    }

    [Fact]
    public async Task Memory_bomb_is_stopped_at_its_limit()
    {
        await mesh.DeployJobAsync("job-grow", JobMeshFixture.Wat("grow"), memoryMb: 16);

        using var response = await mesh.Rest.PostAsync("/v1/functions/job-grow:invoke", new StringContent(""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("ran out of memory", await response.Content.ReadAsStringAsync());
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Infinite_loop_times_out_and_its_container_is_gone()
    {
        await mesh.DeployJobAsync("job-spin", JobMeshFixture.Wat("spin"), timeoutMs: 500);

        using var response = await mesh.Rest.PostAsync("/v1/functions/job-spin:invoke", new StringContent(""));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("timed out", await response.Content.ReadAsStringAsync());
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Job_function_runs_asynchronously_too()
    {
        await mesh.DeployJobAsync("job-async", JobMeshFixture.Wat("echo"));

        using var enqueued = await mesh.Rest.PostAsync("/v1/functions/job-async:enqueue", new StringContent("later"));
        Assert.Equal(HttpStatusCode.Accepted, enqueued.StatusCode);
        var id = JsonDocument.Parse(await enqueued.Content.ReadAsStringAsync()).RootElement.GetProperty("executionId").GetString()!;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement execution;
        do
        {
            await Task.Delay(100);
            execution = await GetExecutionAsync(id);
        }
        while (execution.GetProperty("status").GetString() is not ("SUCCEEDED" or "DEAD_LETTERED") && DateTime.UtcNow < deadline);

        Assert.Equal("SUCCEEDED", execution.GetProperty("status").GetString());
        Assert.StartsWith("job:" + Containers.MeshPrefix, execution.GetProperty("worker").GetString());
        using var output = await mesh.Rest.GetAsync($"/v1/executions/{id}/output");
        Assert.Equal("later", Encoding.UTF8.GetString(await output.Content.ReadAsByteArrayAsync()));
    }

    private async Task<JsonElement> GetExecutionAsync(string id)
    {
        // The record is written in batches; until then it is served from memory, so it is there at once.
        using var response = await mesh.Rest.GetAsync($"/v1/executions/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>
    /// A container that ran is removed with its bundle (a prepared one right after its result is in), and the tests of
    /// this collection run one at a time, so none that ran may remain; what remains is the containers prepared for
    /// invocations to come, never started, each with its bundle.
    /// </summary>
    private async Task AssertNothingLeftAsync()
    {
        var started = await EventuallyAsync(() => Containers.StartedAsync(Containers.MeshPrefix), left => left.Count == 0);
        Assert.Empty(started);
        // Every bundle is a prepared container's, once a container being prepared or removed right now is done with.
        var (prepared, bundles) = await EventuallyAsync(
            async () => (await Containers.LeftAsync(Containers.MeshPrefix), Directory.Exists(mesh.Bundles) ? Directory.GetDirectories(mesh.Bundles).Select(Path.GetFileName).ToList() : []),
            state => state.Item1.Order(StringComparer.Ordinal).SequenceEqual(state.Item2.Order(StringComparer.Ordinal)));
        Assert.Equal(prepared.Order(StringComparer.Ordinal), bundles.Order(StringComparer.Ordinal));
        // Nor a cgroup of a container that ran, whether runc removed it or the scheduler did in its place.
        var (withCgroups, known) = await EventuallyAsync(
            async () => (Containers.WithCgroups(Containers.MeshPrefix), await Containers.LeftAsync(Containers.MeshPrefix)),
            state => state.Item1.All(state.Item2.Contains));
        Assert.Empty(withCgroups.Except(known));
    }

    private static async Task<int> PreparedCountAsync() =>
        (await Containers.LeftAsync(Containers.MeshPrefix)).Count - (await Containers.StartedAsync(Containers.MeshPrefix)).Count;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(50);
        }
    }
}
