using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.EndToEnd.Tests;

[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DeployTests(MeshFixture mesh)
{
    [Fact]
    public async Task Deploy_over_rest_creates_version_one_with_a_content_hash_and_defaults()
    {
        var version = await mesh.DeployAsync("deploy-echo", "echo");

        Assert.Equal("deploy-echo", version.GetProperty("function").GetString());
        Assert.Equal(1, version.GetProperty("version").GetInt32());
        Assert.Equal("READY", version.GetProperty("state").GetString());
        Assert.Equal(64, version.GetProperty("moduleSha256").GetString()!.Length);
        Assert.Equal(30000, version.GetProperty("config").GetProperty("timeoutMs").GetInt32());
    }

    [Fact]
    public async Task Each_deploy_adds_an_immutable_version_and_old_versions_stay_invocable()
    {
        await mesh.DeployAsync("versioned", "echo");
        var second = await mesh.DeployAsync("versioned", "env", new { env = new Dictionary<string, string> { ["GREETING"] = "hi" } });
        Assert.Equal(2, second.GetProperty("version").GetInt32());

        var function = await mesh.Functions.GetFunctionAsync(new GetFunctionRequest { Name = "versioned" });
        Assert.Equal(2u, function.Latest.Version);
        Assert.Equal(2u, function.VersionCount);

        var versions = await mesh.Functions.ListFunctionVersionsAsync(new ListFunctionVersionsRequest { Name = "versioned" });
        Assert.Equal([2u, 1u], versions.Versions.Select(v => v.Version));

        using var pinned = await mesh.InvokeAsync("versioned", "same bytes back", "?version=1");
        Assert.Equal("same bytes back", await pinned.Content.ReadAsStringAsync());
        using var latest = await mesh.InvokeAsync("versioned", "");
        Assert.Contains("GREETING=hi", await latest.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deploy_of_a_binary_module_over_grpc_works()
    {
        var wasm = Wasmtime.Module.ConvertText(MeshFixture.Wat("echo"));

        var version = await mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "binary-echo", Language = "wasm", Wasm = ByteString.CopyFrom(wasm),
        });

        Assert.Equal(1u, version.Version);
        Assert.Equal(VersionState.Ready, version.State);
        Assert.Equal((ulong)wasm.Length, version.ModuleSizeBytes);
    }

    [Fact]
    public async Task An_invalid_module_is_400_with_wasmtimes_reason()
    {
        using var response = await mesh.Rest.PostAsJsonAsync("/v1/functions", new { name = "broken", language = "wat", source = "(module (func (export \"_start\") (i32.add)))" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)StatusCode.InvalidArgument, error.GetProperty("code").GetInt32());
        Assert.Contains("type mismatch", error.GetProperty("message").GetString());
    }

    [Fact]
    [Trait("Category", "Security")]
    public async Task A_module_beyond_the_workers_limits_is_400_naming_the_limit()
    {
        // Valid WebAssembly, but no worker's instance pool takes a table this large: refused here, not at every run.
        using var response = await mesh.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "huge-table", language = "wat", source = "(module (memory (export \"memory\") 1) (table 100000000 funcref) (func (export \"_start\")))",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)StatusCode.InvalidArgument, error.GetProperty("code").GetInt32());
        Assert.Contains("exceeds the limit of 20000", error.GetProperty("message").GetString());
        Assert.Contains("1 table of at most 20000 elements", error.GetProperty("message").GetString());

        var overGrpc = await Assert.ThrowsAsync<RpcException>(() => mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "huge-memory", Language = "wat", Source = "(module (memory (export \"memory\") i64 65537) (func (export \"_start\")))",
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, overGrpc.StatusCode);
        Assert.Contains("65536 pages (4096 MiB)", overGrpc.Status.Detail);
    }

    [Fact]
    public async Task Garbage_bytes_are_invalid_argument_over_grpc()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Functions.DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = "garbage", Language = "wasm", Wasm = ByteString.CopyFromUtf8("not a module"),
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("Invalid WebAssembly", error.Status.Detail);
    }

    [Fact]
    public async Task A_module_breaking_the_function_contract_is_rejected()
    {
        using var response = await mesh.Rest.PostAsJsonAsync("/v1/functions", new { name = "no-start", language = "wat", source = "(module (memory (export \"memory\") 1))" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("_start", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Config_out_of_range_is_rejected_naming_the_field()
    {
        using var response = await mesh.Rest.PostAsJsonAsync("/v1/functions",
            new { name = "too-long", language = "wat", source = MeshFixture.Wat("echo"), config = new { timeoutMs = 5_000_000 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("timeoutMs", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Functions_list_in_pages_by_name()
    {
        foreach (var name in new[] { "page-a", "page-b", "page-c" })
        {
            await mesh.DeployAsync(name, "echo");
        }

        var names = new List<string>();
        string token = "";
        do
        {
            var page = await mesh.Functions.ListFunctionsAsync(new ListFunctionsRequest { PageSize = 2, PageToken = token });
            Assert.InRange(page.Functions.Count, 0, 2);
            names.AddRange(page.Functions.Select(f => f.Name));
            token = page.NextPageToken;
        }
        while (token != "");

        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Contains("page-a", names);
        Assert.Contains("page-c", names);

        using var rest = await mesh.Rest.GetAsync("/v1/functions?pageSize=1");
        var json = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement;
        Assert.Single(json.GetProperty("functions").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("nextPageToken").GetString()));
    }

    [Fact]
    public async Task A_bad_page_token_is_400()
    {
        using var response = await mesh.Rest.GetAsync("/v1/functions?pageToken=%%%");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Deleted_function_is_gone_for_get_and_invoke()
    {
        await mesh.DeployAsync("short-lived", "echo");
        using (var warm = await mesh.InvokeAsync("short-lived", "x"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using var deleted = await mesh.Rest.DeleteAsync("/v1/functions/short-lived");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        using var get = await mesh.Rest.GetAsync("/v1/functions/short-lived");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var invoke = await mesh.InvokeAsync("short-lived", "x");
        Assert.Equal(HttpStatusCode.NotFound, invoke.StatusCode);
        using var again = await mesh.Rest.DeleteAsync("/v1/functions/short-lived");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}
