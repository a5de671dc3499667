using Faas.AppHost.Dashboard;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Tests.Unit;

public sealed class DashboardPageTests
{
    private static readonly ResourceSnapshot Gateway = new(
        "gateway", "Project", ResourceState.Running, HealthStatus.Healthy, Pid: 1234, Restarts: 2, ExitCode: null,
        StartedAt: DateTimeOffset.Now, [new ResourceEndpoint("http", "http://127.0.0.1:8080"), new ResourceEndpoint("grpc", "http://127.0.0.1:8081")],
        "/state/logs/gateway.log");

    [Fact]
    public void Resources_page_lists_state_health_pid_restarts_and_clickable_endpoints()
    {
        var html = ResourcesPage.Render([Gateway]);

        Assert.Contains("href=\"/resources/gateway\"", html);
        Assert.Contains(">Running<", html);
        Assert.Contains(">Healthy<", html);
        Assert.Contains(">1234<", html);
        Assert.Contains(">2<", html);
        Assert.Contains("<a href=\"http://127.0.0.1:8080\">", html);
        Assert.Contains("http-equiv=\"refresh\"", html);
    }

    [Fact]
    public void Resources_page_shows_which_languages_the_compiler_can_build_and_what_to_install_for_the_others()
    {
        var html = ResourcesPage.Render(
            [Gateway],
            [
                new ToolchainRow("c", true, "Debian clang version 14.0.6", "c: available"),
                new ToolchainRow("rust", false, "", "rust: unavailable, missing `rustc`; install rustc <libstd>"),
            ],
            hasCompiler: true);

        Assert.Contains("<h2>Toolchains</h2>", html);
        Assert.Contains("Debian clang version 14.0.6", html);
        Assert.Contains(">unavailable<", html);
        Assert.Contains("install rustc &lt;libstd&gt;", html);
    }

    [Fact]
    public void Resources_page_says_whether_job_mode_can_run_and_why_not()
    {
        var html = ResourcesPage.Render([Gateway], jobs: new JobModeRow(false, "no container runtime: runc is not installed", "published in /repo/.faas/oneshot/k"));

        Assert.Contains("<h2>JOB mode</h2>", html);
        Assert.Contains(">unavailable<", html);
        Assert.Contains("runc is not installed", html);
        Assert.Contains("published in /repo/.faas/oneshot/k", html);
        Assert.Contains(">available<", ResourcesPage.Render([Gateway], jobs: new JobModeRow(true, "runc containers", "published")));
    }

    [Fact]
    public void Resources_page_lists_sinks_with_state_capacity_load_and_heartbeat_or_why_they_are_unknown()
    {
        var rows = SinkStatus.Parse(System.Text.Json.JsonDocument.Parse("""
            {"sinks":[
              {"name":"runtime-0","state":"SINK_ONLINE","pushAddress":"http://127.0.0.1:5000","capacity":{"slots":2,"memoryMb":4096,"runtimes":["wasm"]},
               "load":{"cpu":0.25,"inFlight":1,"warmModules":["aa","bb","cc"]},"lastHeartbeatAt":"2026-11-23T12:00:00Z"},
              {"name":"node","state":"SINK_OFFLINE","capacity":{"slots":4,"memoryMb":1024,"runtimes":["javascript"]},"tasksHeld":3}
            ]}
            """).RootElement);

        Assert.Equal("ONLINE", rows[0].State);
        Assert.Equal("push http://127.0.0.1:5000", rows[0].Mode);
        Assert.Equal("pull", rows[1].Mode);
        Assert.Equal(3, rows[1].TasksHeld);
        Assert.Equal((3, 0), (rows[0].WarmModules, rows[1].WarmModules));
        var html = ResourcesPage.Render([Gateway], sinks: (rows, ""));
        Assert.Contains("<h2>Sinks</h2>", html);
        Assert.Contains(">online<", html);
        Assert.Contains(">offline<", html);
        Assert.Contains("4096 MB", html);
        Assert.Contains("javascript", html);
        Assert.Contains("25 %", html);
        Assert.Contains("<th>Warm modules</th>", html);

        var unknown = ResourcesPage.Render([Gateway], sinks: (null, "the gateway is not answering"));
        Assert.Contains("Unknown: the gateway is not answering.", unknown);
    }

    [Fact]
    public void Toolchains_are_unknown_until_the_compiler_answers()
    {
        Assert.Contains("Unknown", ResourcesPage.Render([Gateway], null, hasCompiler: true));
        Assert.DoesNotContain("Toolchains", ResourcesPage.Render([Gateway]));
    }

    [Fact]
    public void Toolchain_rows_are_read_from_the_gateways_json_where_false_may_be_left_out()
    {
        using var json = System.Text.Json.JsonDocument.Parse(
            """{"toolchains":[{"language":"c","available":true,"version":"clang 14","description":"c: available"},{"language":"rust","description":"rust: unavailable"}]}""");

        var rows = ToolchainStatus.Parse(json.RootElement);

        Assert.Equal([new ToolchainRow("c", true, "clang 14", "c: available"), new ToolchainRow("rust", false, "", "rust: unavailable")], rows);
    }

    [Fact]
    public void Tcp_endpoints_are_shown_but_not_linked()
    {
        var html = ResourcesPage.Render([Gateway with { Endpoints = [new ResourceEndpoint("tcp", "tcp://127.0.0.1:6379")] }]);

        Assert.Contains("<code>tcp://127.0.0.1:6379</code>", html);
        Assert.DoesNotContain("href=\"tcp://", html);
    }

    [Fact]
    public void Everything_shown_is_html_encoded()
    {
        var hostile = Gateway with { Kind = "<script>alert(1)</script>" };

        var html = ResourcesPage.Render([hostile]);
        var detail = ResourceDetailPage.Render(hostile, ["<b>log</b> & more"], new Dictionary<string, string> { ["X"] = "<i>value</i>" });

        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("<b>log</b>", detail);
        Assert.Contains("&lt;b&gt;log&lt;/b&gt; &amp; more", detail);
        Assert.DoesNotContain("<i>value</i>", detail);
    }

    [Fact]
    public void Resource_page_shows_the_log_tail_and_the_environment()
    {
        var html = ResourceDetailPage.Render(Gateway, ["first line", "last line"], new Dictionary<string, string> { ["OTEL_SERVICE_NAME"] = "gateway" });

        Assert.Contains("first line\nlast line", html);
        Assert.Contains("OTEL_SERVICE_NAME", html);
        Assert.Contains("/state/logs/gateway.log", html);
    }

    [Fact]
    public void Passwords_in_connection_strings_are_never_shown()
    {
        Assert.Equal("Host=db;Password=*****;Database=faas", ResourceDetailPage.MaskSecrets("Host=db;Password=hunter2;Database=faas"));
        Assert.Equal("cache:6379,password=*****", ResourceDetailPage.MaskSecrets("cache:6379,password=hunter2"));
    }
}
