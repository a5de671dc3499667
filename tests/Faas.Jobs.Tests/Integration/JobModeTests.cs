using System.Net;
using System.Text;
using System.Text.Json;

namespace Faas.Jobs.Tests.Integration;

/// <summary>JOB-mode functions through the whole mesh (gateway, scheduler, runc), each invocation in a fresh container.</summary>
[Collection(JobMeshCollection.Name)]
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
    /// Containers and bundles are removed before the result is returned, and the tests of this collection run
    /// one at a time, so none may remain.
    /// </summary>
    private async Task AssertNothingLeftAsync()
    {
        Assert.Empty(await Containers.LeftAsync(Containers.MeshPrefix));
        Assert.Empty(Directory.Exists(mesh.Bundles) ? Directory.GetDirectories(mesh.Bundles) : []);
    }
}
