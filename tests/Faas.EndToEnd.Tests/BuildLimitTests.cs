using System.Net;
using System.Text.Json;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

/// <summary>Hostile or broken input to the compiler: rejected or failed cleanly, and the compiler stays healthy.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BuildLimitTests(MeshFixture mesh)
{
    /// <summary>2^40 distinct instantiations: clang never finishes, and eats memory (~100 MiB/s) while it tries.</summary>
    private const string TemplateBomb = """
        template <class A, class B> struct P {};
        template <class T, int N> struct E {
          using L = typename E<P<T, int>, N - 1>::type;
          using R = typename E<P<T, long>, N - 1>::type;
          using type = P<L, R>;
        };
        template <class T> struct E<T, 0> { using type = T; };
        E<int, 40>::type boom;
        int main() { return 0; }
        """;

    [Theory]
    [InlineData("../escape.c")]
    [InlineData("src/../../escape.c")]
    [InlineData("/etc/escape.c")]
    public async Task An_archive_with_a_path_leaving_the_build_directory_is_400_and_nothing_is_deployed(string entry)
    {
        var name = $"traversal-{Math.Abs(entry.GetHashCode(StringComparison.Ordinal)) % 100_000}";
        var archive = TarGz.Files(("main.c", "int main(void) { return 0; }\n"), (entry, "int evil;\n"));

        var (status, body) = await mesh.DeploySourceAsync(name, "c", archive: archive);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not allowed", body.GetProperty("message").GetString());
        using var function = await mesh.Rest.GetAsync($"/v1/functions/{name}");
        Assert.Equal(HttpStatusCode.NotFound, function.StatusCode);
    }

    [Fact]
    public async Task An_archive_with_a_symbolic_link_is_400()
    {
        var archive = TarGz.WithSymlink("secret.c", "/etc/shadow", ("main.c", "#include \"secret.c\"\nint main(void) { return 0; }\n"));

        var (status, body) = await mesh.DeploySourceAsync("symlink", "c", archive: archive);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("symbolic link", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_oversized_source_is_413_over_rest_and_resource_exhausted_over_grpc()
    {
        var source = "int main(void) { return 0; }\n/*" + new string('x', 1024 * 1024) + "*/\n";

        var (status, body) = await mesh.DeploySourceAsync("oversized", "c", source);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("limit", body.GetProperty("message").GetString());
        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "oversized", Language = "c", Source = source,
        }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task An_archive_that_expands_beyond_the_limit_is_413()
    {
        // Compresses to a few KiB, expands to 2 MiB.
        var archive = TarGz.Files(("main.c", "int main(void) { return 0; }\n"), ("big.h", new string(' ', 2 * 1024 * 1024)));

        var (status, body) = await mesh.DeploySourceAsync("gzip-bomb", "c", archive: archive);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("limit", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_endless_include_fails_the_build_with_a_diagnostic()
    {
        var (_, version) = await mesh.DeploySourceAsync("endless-include", "c", "#include \"function.c\"\nint main(void) { return 0; }\n");

        Assert.Equal("BUILD_FAILED", version.GetProperty("state").GetString());
        Assert.Contains(version.GetProperty("build").GetProperty("diagnostics").EnumerateArray(),
            d => d.GetProperty("file").GetString() == "function.c" && d.GetProperty("message").GetString()!.Contains("nested too deeply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_compile_bomb_is_stopped_at_a_limit_while_invocations_run_the_last_ready_version_and_the_compiler_stays_healthy()
    {
        var (_, echo) = await mesh.DeploySourceAsync("bomb-after-echo", "c", MeshFixture.Sample("echo.c"));
        Assert.Equal("READY", echo.GetProperty("state").GetString());

        // Version 2 of one function, and the only version of another, are the bomb.
        var (_, building) = await mesh.DeploySourceAsync("bomb-after-echo", "cpp", TemplateBomb, wait: false);
        var (_, only) = await mesh.DeploySourceAsync("bomb-only", "cpp", TemplateBomb, wait: false);
        Assert.Equal("BUILDING", building.GetProperty("state").GetString());
        Assert.Equal("BUILDING", only.GetProperty("state").GetString());

        using (var previous = await mesh.InvokeAsync("bomb-after-echo", "still version 1"))
        {
            Assert.Equal(HttpStatusCode.OK, previous.StatusCode);
            Assert.Equal("still version 1", await previous.Content.ReadAsStringAsync());
            Assert.Equal(1, await ExecutedVersionAsync(previous));
        }

        using (var none = await mesh.InvokeAsync("bomb-only", "x"))
        {
            Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
            var message = JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString();
            Assert.Contains("no version ready to run yet", message);
            Assert.Contains("BUILDING", message);
        }

        var failed = await MeshFixture.EventuallyAsync(
            () => mesh.GetVersionAsync("bomb-after-echo", 2), v => v.GetProperty("state").GetString() != "BUILDING",
            TimeSpan.FromSeconds(MeshFixture.BuildTimeoutSeconds * 4));
        Assert.Equal("BUILD_FAILED", failed.GetProperty("state").GetString());
        // Whichever limit it reaches first, the time limit or the memory limit, ends it.
        Assert.Matches("time limit|ran out of memory", failed.GetProperty("build").GetProperty("error").GetString());

        // A failed version never goes live; the compiler is healthy and builds the next deploy.
        using (var after = await mesh.InvokeAsync("bomb-after-echo", "version 1 again"))
        {
            Assert.Equal("version 1 again", await after.Content.ReadAsStringAsync());
        }

        using var health = await mesh.App.CreateHttpClient("compiler").GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(mesh.App.GetResource("compiler").IsHealthy);
        Assert.Equal(0, mesh.App.GetResource("compiler").Restarts);
        var (_, next) = await mesh.DeploySourceAsync("bomb-only", "c", MeshFixture.Sample("echo.c") + "\n// after the bomb\n");
        Assert.Equal("READY", next.GetProperty("state").GetString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(mesh.App.StateDirectory, "builds")));
    }

    private async Task<int> ExecutedVersionAsync(HttpResponseMessage response)
    {
        var execution = await mesh.Executions.GetExecutionAsync(new GetExecutionRequest { Id = response.Headers.GetValues("x-execution-id").Single() });
        return (int)execution.Version;
    }
}
