using System.Diagnostics;
using System.Text.Json;
using Faas.Testing;

namespace Faas.Cli.Tests;

/// <summary>A real mesh for the CLI to talk to (one worker).</summary>
public sealed class CliMesh : IAsyncLifetime
{
    public FaasTestApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await FaasTestingBuilder.Create(o => o.Workers = 1).BuildAsync();
        await App.StartAsync();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// The real <c>faas</c> process against a real mesh: login, deploy (a file, a failed build, a manifest), invoke,
/// listing as tables and as JSON, and exit codes. Each test has its own settings file (FAAS_CONFIG).
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliTests(CliMesh mesh) : IClassFixture<CliMesh>, IDisposable
{
    private readonly string home = Directory.CreateTempSubdirectory("faas-cli-").FullName;

    private string Url => mesh.App.GetEndpoint("gateway", "grpc").ToString().TrimEnd('/');

    private string SettingsFile => Path.Combine(home, "config.json");

    public void Dispose() => Directory.Delete(home, recursive: true);

    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "Functions", name);

    /// <summary>Runs <c>faas</c> with the test's settings file, in <see cref="home"/>, with no FAAS_URL / FAAS_TOKEN of the machine's.</summary>
    private async Task<(int Exit, string Out, string Err)> FaasAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = home,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "faas.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["FAAS_CONFIG"] = SettingsFile;
        start.Environment.Remove("FAAS_URL");
        start.Environment.Remove("FAAS_TOKEN");
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private async Task LoginAsync()
    {
        var (exit, _, err) = await FaasAsync(mesh.App.AdminKey, "login", "--url", Url, "--key", "-");
        Assert.True(exit == 0, err);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Login_checks_the_key_and_stores_it_for_the_owner_only()
    {
        var (exit, output, error) = await FaasAsync(mesh.App.AdminKey, "login", "--url", Url, "--key", "-");

        Assert.True(exit == 0, error);
        Assert.Contains("Logged in", output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SettingsFile));
        var stored = JsonDocument.Parse(File.ReadAllText(SettingsFile)).RootElement;
        Assert.Equal(Url, stored.GetProperty("url").GetString());
        Assert.Equal(mesh.App.AdminKey, stored.GetProperty("token").GetString());

        var (showExit, shown, _) = await FaasAsync(null, "login", "--show", "-o", "json");
        Assert.Equal(0, showExit);
        Assert.Equal("ADMIN", JsonDocument.Parse(shown).RootElement.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_wrong_key_is_refused_at_login_with_the_auth_exit_code_and_nothing_is_stored()
    {
        var (exit, _, error) = await FaasAsync("faas_00000000000000000000000000000000_nope", "login", "--url", Url, "--key", "-");

        Assert.Equal(ExitCodes.Auth, exit);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(SettingsFile));
    }

    [Fact]
    public async Task Without_a_login_an_unreachable_gateway_says_what_to_do()
    {
        var (exit, _, error) = await FaasAsync(null, "ls", "--url", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("Is the mesh running", error);
    }

    [Fact]
    public async Task Deploy_then_invoke_then_list_and_get_as_tables_and_as_json()
    {
        await LoginAsync();

        var (deployExit, _, progress) = await FaasAsync(null, "deploy", Sample("echo.c"), "--name", "cli-echo");
        Assert.True(deployExit == 0, progress);
        Assert.Contains("cli-echo: version 1", progress);
        Assert.Contains("ready", progress);

        var (invokeExit, output, invokeError) = await FaasAsync(null, "invoke", "cli-echo", "--data", "hello from the cli");
        Assert.True(invokeExit == 0, invokeError);
        Assert.Equal("hello from the cli", output);
        Assert.Matches("execution [0-9a-f-]{36}", invokeError);

        var (pipedExit, piped, pipedError) = await FaasAsync("piped in", "invoke", "cli-echo");
        Assert.True(pipedExit == 0, pipedError);
        Assert.Equal("piped in", piped);

        var (lsExit, table, lsError) = await FaasAsync(null, "ls");
        Assert.True(lsExit == 0, lsError);
        Assert.Contains("cli-echo", table);
        Assert.Contains("ready", table);

        var (jsonExit, json, _) = await FaasAsync(null, "ls", "-o", "json");
        Assert.Equal(0, jsonExit);
        var listed = JsonDocument.Parse(json).RootElement.GetProperty("functions").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "cli-echo");
        Assert.Equal("READY", listed.GetProperty("latest").GetProperty("state").GetString());

        var (getExit, got, _) = await FaasAsync(null, "get", "cli-echo", "-o", "json");
        Assert.Equal(0, getExit);
        Assert.Equal("c", JsonDocument.Parse(got).RootElement.GetProperty("latest").GetProperty("language").GetString());

        var id = System.Text.RegularExpressions.Regex.Match(invokeError, "[0-9a-f-]{36}").Value;
        var (execExit, execution, _) = await FaasAsync(null, "exec", "get", id, "-o", "json");
        Assert.Equal(0, execExit);
        Assert.Equal("SUCCEEDED", JsonDocument.Parse(execution).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_failed_build_prints_located_diagnostics_with_the_source_line_and_exits_with_the_build_code()
    {
        await LoginAsync();
        var source = Path.Combine(home, "broken.c");
        File.WriteAllText(source, "#include <stdio.h>\nint main(void) {\n    return undefined_thing;\n}\n");

        var (exit, _, error) = await FaasAsync(null, "deploy", source, "--name", "cli-broken");

        Assert.Equal(ExitCodes.BuildFailed, exit);
        Assert.Contains("cli-broken: version 1", error);
        Assert.Matches(@"broken\.c:3:\d+: error: .*undefined_thing", error);
        Assert.Contains("    return undefined_thing;", error);
        Assert.Contains("^", error);
    }

    [Fact]
    public async Task A_manifest_deploys_every_function_and_reports_them_as_json()
    {
        await LoginAsync();
        File.Copy(Sample("echo.c"), Path.Combine(home, "echo.c"));
        File.Copy(Sample("echo.wat"), Path.Combine(home, "echo.wat"));
        File.Copy(Sample("http-echo.wat"), Path.Combine(home, "http-echo.wat"));
        File.WriteAllText(Path.Combine(home, "faas.yaml"), """
            functions:
              - name: m-echo-c
                source: echo.c
                config:
                  timeoutMs: 2000
              - name: m-echo-wat
                source: echo.wat
                env:
                  GREETING: hello
              - name: m-http
                source: http-echo.wat
                config:
                  http:
                    public: true
            """);

        var (exit, json, error) = await FaasAsync(null, "deploy", "-o", "json");

        Assert.True(exit == 0, error);
        var versions = JsonDocument.Parse(json).RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(["m-echo-c", "m-echo-wat", "m-http"], versions.Select(v => v.GetProperty("function").GetString()));
        Assert.All(versions, v => Assert.Equal("READY", v.GetProperty("state").GetString()));
        Assert.Equal(2000, versions[0].GetProperty("config").GetProperty("timeoutMs").GetInt32());
        Assert.Equal("hello", versions[1].GetProperty("config").GetProperty("env").GetProperty("GREETING").GetString());
        Assert.True(versions[2].GetProperty("config").GetProperty("http").GetProperty("public").GetBoolean());

        var (invokeExit, output, _) = await FaasAsync(null, "invoke", "m-echo-wat", "--data", "via the manifest");
        Assert.Equal(0, invokeExit);
        Assert.Equal("via the manifest", output);
    }

    [Fact]
    public async Task Errors_map_to_exit_codes_and_never_print_a_stack_trace()
    {
        await LoginAsync();

        var missing = await FaasAsync(null, "invoke", "no-such-function", "--data", "x");
        var badFile = await FaasAsync(null, "deploy", Path.Combine(home, "nothing-here.c"));
        var twoPayloads = await FaasAsync(null, "invoke", "x", "--data", "a", "--file", "b");

        Assert.Equal(ExitCodes.NotFound, missing.Exit);
        Assert.Contains("no-such-function", missing.Err);
        Assert.Equal(ExitCodes.Usage, badFile.Exit);
        Assert.Equal(ExitCodes.Usage, twoPayloads.Exit);
        Assert.All(new[] { missing.Err, badFile.Err, twoPayloads.Err }, e => Assert.DoesNotContain("   at ", e));
    }

    [Theory]
    [InlineData("c", "Hello, Ada!\n")]
    [InlineData("cpp", "Hello, Ada!\n")]
    [InlineData("rust", "Hello, Ada!\n")]
    [InlineData("assemblyscript", "Hello, Ada!\n")]
    [InlineData("wat", "Hello, world!\n")]
    public async Task New_writes_a_skeleton_that_deploys_and_runs(string language, string expected)
    {
        await LoginAsync();
        var name = "new-" + (language == "assemblyscript" ? "as" : language);

        var (newExit, _, newError) = await FaasAsync(null, "new", language, name);
        Assert.True(newExit == 0, newError);
        Assert.True(File.Exists(Path.Combine(home, name, "faas.yaml")));

        var (deployExit, _, progress) = await FaasAsync(null, "deploy", name);
        Assert.True(deployExit == 0, progress);

        var (invokeExit, output, invokeError) = await FaasAsync(null, "invoke", name, "--data", "Ada");
        Assert.True(invokeExit == 0, invokeError);
        Assert.Equal(expected, output);
    }

    [Fact]
    public async Task New_writes_an_http_function_that_answers_on_its_route()
    {
        await LoginAsync();
        Assert.Equal(0, (await FaasAsync(null, "new", "c", "new-http", "--http")).Exit);
        var (deployExit, _, progress) = await FaasAsync(null, "deploy", "new-http");
        Assert.True(deployExit == 0, progress);

        using var client = mesh.App.CreateHttpClient("gateway", "http");
        using var response = await client.GetAsync("/fn/new-http/hello");

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("{\"method\":\"GET\",\"path\":\"/hello\"}\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Logs_follow_prints_a_line_the_function_writes_while_it_follows_and_a_stop_signal_ends_it()
    {
        await LoginAsync();
        Assert.Equal(0, (await FaasAsync(null, "new", "c", "cli-logs")).Exit);
        var (deployExit, _, progress) = await FaasAsync(null, "deploy", "cli-logs");
        Assert.True(deployExit == 0, progress);

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = home,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "faas.dll"), "logs", "cli-logs", "-f" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["FAAS_CONFIG"] = SettingsFile;
        start.Environment.Remove("FAAS_URL");
        start.Environment.Remove("FAAS_TOKEN");
        using var follower = Process.Start(start)!;
        var errors = follower.StandardError.ReadToEndAsync();
        try
        {
            var (invokeExit, _, invokeError) = await FaasAsync(null, "invoke", "cli-logs", "--data", "Ada");
            Assert.True(invokeExit == 0, invokeError);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line;
            do
            {
                // A pipe's read may not heed a token: the wait is bounded from outside.
                line = await follower.StandardOutput.ReadLineAsync(timeout.Token).AsTask().WaitAsync(timeout.Token);
                if (line is null)
                {
                    Assert.Fail("faas logs -f ended: " + await errors);
                }
            }
            while (!line!.Contains("greeted 3 bytes", StringComparison.Ordinal));

            // time, execution id, version, then the text
            Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}  [0-9a-f-]{36}  v1  greeted 3 bytes$", line);

            // What Ctrl+C does in a terminal; SIGINT itself would not do here, as a process started in the background
            // (this test host, under CI) ignores it and so do its children.
            using (var interrupt = Process.Start("kill", ["-TERM", follower.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(timeout.Token);
            }

            await follower.WaitForExitAsync(timeout.Token);
            Assert.True(follower.ExitCode == 0, await errors);
        }
        finally
        {
            if (!follower.HasExited)
            {
                follower.Kill();
            }
        }

        var (exit, json, err) = await FaasAsync(null, "logs", "cli-logs", "-o", "json");
        Assert.True(exit == 0, err);
        using var entry = JsonDocument.Parse(json.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal("greeted 3 bytes", entry.RootElement.GetProperty("text").GetString());
        Assert.Equal(ExitCodes.NotFound, (await FaasAsync(null, "logs", "no-such-function")).Exit);
        Assert.Equal(ExitCodes.Usage, (await FaasAsync(null, "logs", "cli-logs", "--since", "yesterday")).Exit);
    }

    [Fact]
    public async Task Secrets_set_from_the_environment_list_and_remove_through_the_cli()
    {
        await LoginAsync();
        Assert.Equal(0, (await FaasAsync(null, "deploy", Sample("env.wat"), "--name", "cli-secrets")).Exit);
        Environment.SetEnvironmentVariable("CLI_TEST_TOKEN", "from-the-environment");
        try
        {
            var (setExit, _, setError) = await FaasAsync(null, "secrets", "set", "cli-secrets", "CLI_TEST_TOKEN", "OTHER=literal");
            Assert.True(setExit == 0, setError);
            Assert.Contains("version 2", setError, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLI_TEST_TOKEN", null);
        }

        var (_, output, _) = await FaasAsync(null, "invoke", "cli-secrets");
        Assert.Contains("CLI_TEST_TOKEN=from-the-environment", output, StringComparison.Ordinal);
        Assert.Contains("OTHER=literal", output, StringComparison.Ordinal);

        Assert.Equal(0, (await FaasAsync(null, "secrets", "rm", "cli-secrets", "OTHER")).Exit);
        var (listExit, json, listError) = await FaasAsync(null, "secrets", "ls", "cli-secrets", "-o", "json");
        Assert.True(listExit == 0, listError);
        Assert.Equal(["CLI_TEST_TOKEN"], JsonDocument.Parse(json).RootElement.GetProperty("secretNames").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain("from-the-environment", json, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Usage, (await FaasAsync(null, "secrets", "set", "cli-secrets", "NOT_IN_THE_ENVIRONMENT")).Exit);
        Assert.Equal(ExitCodes.Rejected, (await FaasAsync(null, "secrets", "rm", "cli-secrets", "NEVER_SET")).Exit);
    }

    [Fact]
    public async Task New_refuses_a_name_that_is_not_a_function_name_and_an_existing_folder()
    {
        Directory.CreateDirectory(Path.Combine(home, "taken"));

        Assert.Equal(ExitCodes.Usage, (await FaasAsync(null, "new", "c", "Not_A_Name")).Exit);
        Assert.Equal(ExitCodes.Usage, (await FaasAsync(null, "new", "c", "taken")).Exit);
        Assert.NotEqual(0, (await FaasAsync(null, "new", "cobol", "x")).Exit);
    }

    [Fact]
    public async Task Enqueue_dead_letters_keys_and_sinks_work_through_the_cli()
    {
        await LoginAsync();
        Assert.Equal(0, (await FaasAsync(null, "deploy", Sample("echo.wat"), "--name", "cli-async")).Exit);

        var (enqueueExit, enqueued, enqueueError) = await FaasAsync(null, "enqueue", "cli-async", "--data", "later", "-o", "json");
        Assert.True(enqueueExit == 0, enqueueError);
        var id = JsonDocument.Parse(enqueued).RootElement.GetProperty("executionId").GetString()!;
        var status = "";
        for (var i = 0; i < 100 && status != "SUCCEEDED"; i++)
        {
            var (_, execution, _) = await FaasAsync(null, "exec", "get", id, "-o", "json");
            status = JsonDocument.Parse(execution).RootElement.GetProperty("status").GetString()!;
            await Task.Delay(100);
        }

        Assert.Equal("SUCCEEDED", status);

        var (dlqExit, dlq, _) = await FaasAsync(null, "dlq", "ls", "cli-async", "-o", "json");
        Assert.Equal(0, dlqExit);
        Assert.False(JsonDocument.Parse(dlq).RootElement.TryGetProperty("executions", out var dead) && dead.GetArrayLength() > 0);

        var (sinksExit, sinks, _) = await FaasAsync(null, "sinks", "-o", "json");
        Assert.Equal(0, sinksExit);
        Assert.Contains(JsonDocument.Parse(sinks).RootElement.GetProperty("sinks").EnumerateArray(), s => s.GetProperty("name").GetString() == "worker-0");

        // A new key works, and stops working once revoked.
        var (createExit, created, _) = await FaasAsync(null, "keys", "create", "cli-test", "-o", "json");
        Assert.Equal(0, createExit);
        var key = JsonDocument.Parse(created).RootElement;
        var secret = key.GetProperty("secret").GetString()!;
        var keyId = key.GetProperty("key").GetProperty("id").GetString()!;
        Assert.Equal(0, (await FaasAsync(secret, "login", "--url", Url, "--key", "-")).Exit);
        Assert.Equal(0, (await FaasAsync(null, "keys", "revoke", keyId)).Exit);
        Assert.Equal(ExitCodes.Auth, (await FaasAsync(null, "ls")).Exit);
    }

    [Fact]
    public async Task Completion_of_function_names_lists_the_callers_functions_from_the_gateway()
    {
        await LoginAsync();
        foreach (var function in new[] { "complete-alpha", "complete-beta" })
        {
            var (exit, _, error) = await FaasAsync(null, "deploy", Sample("echo.wat"), "--name", function);
            Assert.True(exit == 0, error);
        }

        async Task<string[]> SuggestAsync(string line)
        {
            var (exit, output, error) = await FaasAsync(null, $"[suggest:{line.Length}]", line);
            Assert.True(exit == 0, error);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        Assert.Equal(["complete-alpha", "complete-beta"], await SuggestAsync("faas invoke complete-"));
        Assert.Equal(["complete-beta"], await SuggestAsync("faas get complete-b"));
        Assert.Equal(["complete-alpha"], await SuggestAsync("faas exec ls --function complete-a"));
        foreach (var command in new[] { "versions", "rm", "enqueue", "dlq ls", "dlq redrive" })
        {
            Assert.Contains("complete-alpha", await SuggestAsync($"faas {command} "));
        }

        // A new name is not completed from the existing ones.
        Assert.Empty(await SuggestAsync("faas deploy --name complete-"));
    }

    [Fact]
    public async Task Every_command_has_help_with_an_example()
    {
        foreach (var command in new[] { "login", "new", "ls", "get", "versions", "rm", "invoke", "enqueue", "deploy", "exec get", "exec ls", "dlq ls", "dlq redrive", "keys ls", "keys create", "keys revoke", "sinks", "completion", "completion bash", "completion zsh" })
        {
            var (exit, output, _) = await FaasAsync(null, [.. command.Split(' '), "--help"]);

            Assert.Equal(0, exit);
            Assert.Contains("Example", output);
        }
    }
}
