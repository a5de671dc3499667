using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

/// <summary>Deploying source: each language built by the compiler service and invoked through the mesh.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SourceDeployTests(MeshFixture mesh)
{
    [Theory]
    [InlineData("c", "echo.c")]
    [InlineData("cpp", "echo.cpp")]
    [InlineData("rust", "echo.rs")]
    [InlineData("assemblyscript", "echo.ts")]
    public async Task Each_language_deploys_from_source_and_runs_through_the_mesh(string language, string sample)
    {
        var name = $"src-{language}";

        var (status, version) = await mesh.DeploySourceAsync(name, language, MeshFixture.Sample(sample));

        Assert.True(status == HttpStatusCode.OK, version.ToString());
        Assert.True(version.GetProperty("state").GetString() == "READY", version.ToString());
        Assert.Equal("BUILD_STATE_SUCCEEDED", version.GetProperty("build").GetProperty("state").GetString());
        Assert.Equal(64, version.GetProperty("moduleSha256").GetString()!.Length);
        using var response = await mesh.InvokeAsync(name, $"hello from {language} ✓");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"hello from {language} ✓", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deploy_returns_at_once_in_BUILDING_and_the_version_becomes_READY()
    {
        var source = MeshFixture.Sample("echo.c") + $"\n// {Guid.NewGuid()}\n";

        var (status, version) = await mesh.DeploySourceAsync("src-async", "c", source, wait: false);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("BUILDING", version.GetProperty("state").GetString());
        Assert.Equal(1, version.GetProperty("version").GetInt32());
        var ready = await MeshFixture.EventuallyAsync(
            () => mesh.GetVersionAsync("src-async", 1), v => v.GetProperty("state").GetString() != "BUILDING", TimeSpan.FromSeconds(60));
        Assert.Equal("READY", ready.GetProperty("state").GetString());
        Assert.False(Flag(ready.GetProperty("build"), "cacheHit"));
        using var response = await mesh.InvokeAsync("src-async", "built in the background");
        Assert.Equal("built in the background", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("c", "#include <stdio.h>\n\nint main(void) {\n    return 0\n}\n", "function.c", 4)]
    [InlineData("rust", "fn main() {\n    let x = ;\n}\n", "main.rs", 2)]
    public async Task Syntax_error_fails_the_build_with_the_compilers_diagnostics(string language, string source, string file, int line)
    {
        var name = $"syntax-{language}";

        var (status, version) = await mesh.DeploySourceAsync(name, language, source);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("BUILD_FAILED", version.GetProperty("state").GetString());
        var build = version.GetProperty("build");
        Assert.Equal("BUILD_STATE_FAILED", build.GetProperty("state").GetString());
        Assert.Contains("error", build.GetProperty("error").GetString());
        var error = Assert.Single(build.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("severity").GetString() == "error");
        Assert.Equal(file, error.GetProperty("file").GetString());
        Assert.Equal(line, error.GetProperty("line").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));

        // The version keeps its diagnostics, and a function with no built version says so.
        var stored = await mesh.GetVersionAsync(name, 1);
        Assert.Equal(build.GetProperty("diagnostics").ToString(), stored.GetProperty("build").GetProperty("diagnostics").ToString());
        using var invoke = await mesh.InvokeAsync(name, "x");
        Assert.Equal(HttpStatusCode.Conflict, invoke.StatusCode);
        Assert.Contains("BUILD_FAILED", await invoke.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deploy_over_grpc_with_wait_returns_the_built_version()
    {
        var version = await mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "src-grpc", Language = "cpp", Source = MeshFixture.Sample("echo.cpp"), EntryFile = "echo.cpp", Wait = true,
        });

        Assert.Equal(VersionState.Ready, version.State);
        Assert.Equal(BuildState.Succeeded, version.Build.State);
        Assert.Equal("echo.cpp", version.Build.EntryFile);
        Assert.Contains("clang", version.Build.Toolchain);
    }

    [Fact]
    public async Task Identical_source_is_not_built_again()
    {
        var source = MeshFixture.Sample("echo.c") + $"\n// cache {Guid.NewGuid()}\n";
        var (_, first) = await mesh.DeploySourceAsync("cache-first", "c", source);
        Assert.Equal("READY", first.GetProperty("state").GetString());

        // No wait: a cache hit is READY in the deploy's own answer.
        var (status, second) = await mesh.DeploySourceAsync("cache-second", "c", source, wait: false);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("READY", second.GetProperty("state").GetString());
        Assert.True(Flag(second.GetProperty("build"), "cacheHit"));
        Assert.Equal(first.GetProperty("moduleSha256").GetString(), second.GetProperty("moduleSha256").GetString());
        Assert.Equal(first.GetProperty("build").GetProperty("sourceSha256").GetString(), second.GetProperty("build").GetProperty("sourceSha256").GetString());
        using var response = await mesh.InvokeAsync("cache-second", "from the cache");
        Assert.Equal("from the cache", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_multi_file_archive_builds_with_its_headers_and_folders()
    {
        var archive = TarGz.Files(
            ("main.c", "#include <stdio.h>\n#include \"lib/greet.h\"\nint main(void) { fputs(greeting(), stdout); return 0; }\n"),
            ("lib/greet.h", "const char *greeting(void);\n"),
            ("lib/greet.c", "#include \"greet.h\"\nconst char *greeting(void) { return \"hello from two files\"; }\n"));

        var (status, version) = await mesh.DeploySourceAsync("src-archive", "c", archive: archive);

        Assert.True(status == HttpStatusCode.OK, version.ToString());
        Assert.Equal("READY", version.GetProperty("state").GetString());
        using var response = await mesh.InvokeAsync("src-archive", "");
        Assert.Equal("hello from two files", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Toolchains_are_listed_with_their_availability()
    {
        using var response = await mesh.Rest.GetAsync("/v1/toolchains");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var toolchains = json.GetProperty("toolchains").EnumerateArray().ToDictionary(t => t.GetProperty("language").GetString()!);
        Assert.Equal(["assemblyscript", "c", "cpp", "javascript", "rust", "wasm", "wat"], toolchains.Keys.Order(StringComparer.Ordinal));
        Assert.All(toolchains.Values, t => Assert.True(Flag(t, "available"), t.ToString()));
        Assert.Contains("clang", toolchains["c"].GetProperty("version").GetString());
        Assert.Contains("sinks", toolchains["javascript"].GetProperty("description").GetString());

        var grpc = await mesh.Functions.ListToolchainsAsync(new ListToolchainsRequest());
        Assert.Equal(7, grpc.Toolchains.Count);
    }

    [Fact]
    public async Task A_source_deploy_without_source_or_with_both_source_and_archive_is_400()
    {
        var (neither, _) = await mesh.DeploySourceAsync("no-source", "c");
        var (both, body) = await mesh.DeploySourceAsync("both-sources", "c", "int main(void){return 0;}", TarGz.Files(("main.c", "int main(void){return 0;}")));

        Assert.Equal(HttpStatusCode.BadRequest, neither);
        Assert.Equal(HttpStatusCode.BadRequest, both);
        Assert.Contains("not both", body.GetProperty("message").GetString());
        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest { Name = "no-lang", Language = "cobol", Source = "x" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task A_javascript_deploy_stores_the_source_as_it_is_in_a_ready_version()
    {
        const string source = "export default async (input) => `hello ${input} \u2603`;\n";
        var bytes = System.Text.Encoding.UTF8.GetBytes(source);

        var (status, version) = await mesh.DeploySourceAsync("js-hello", "javascript", source, wait: false);

        Assert.True(status == HttpStatusCode.OK, version.ToString());
        Assert.Equal("javascript", version.GetProperty("language").GetString());
        Assert.Equal("READY", version.GetProperty("state").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), version.GetProperty("moduleSha256").GetString());
        Assert.Equal(bytes.Length, version.GetProperty("moduleSizeBytes").GetInt64());
        Assert.False(version.TryGetProperty("build", out _), version.ToString());

        var function = await mesh.Functions.GetFunctionAsync(new GetFunctionRequest { Name = "js-hello" });
        Assert.Equal("javascript", function.Latest.Language);
        Assert.Equal(VersionState.Ready, function.Latest.State);
    }

    [Fact]
    public async Task A_javascript_deploy_in_job_mode_with_a_module_or_over_the_source_limit_is_refused()
    {
        using (var job = await mesh.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "js-job", language = "javascript", source = "export default () => 1;", config = new { mode = "JOB" },
        }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, job.StatusCode);
            Assert.Contains("JOB mode runs WebAssembly only", await job.Content.ReadAsStringAsync());
        }

        var withModule = await Assert.ThrowsAsync<RpcException>(() => mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "js-module", Language = "javascript", Source = "export default () => 1;", Wasm = Google.Protobuf.ByteString.CopyFrom(0, 97, 115, 109),
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, withModule.StatusCode);

        var (tooLarge, body) = await mesh.DeploySourceAsync("js-large", "javascript", "//" + new string('x', 1024 * 1024), wait: false);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);
        Assert.Contains("Gateway:MaxSourceBytes", body.GetProperty("message").GetString());
    }

    /// <summary>proto3 JSON leaves out fields at their default value (false).</summary>
    internal static bool Flag(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.GetBoolean();
}
