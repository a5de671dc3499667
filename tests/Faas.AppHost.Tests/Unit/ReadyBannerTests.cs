using Faas.AppHost.Hosting;
using Faas.AppHost.Model;

namespace Faas.AppHost.Tests.Unit;

public sealed class ReadyBannerTests
{
    [Fact]
    public void Ready_line_names_rest_grpc_and_dashboard_addresses()
    {
        var model = FaasAppModel.Build(
            new AppHostOptions(),
            new AppHostContext(1, "Production", null, "/repo"),
            new FakePortAllocator(),
            ServiceProjectCatalog.FromAppHostAssembly());

        var line = ReadyBanner.Format(model, new Faas.AppHost.Dashboard.DashboardAccess("t0ken").LoginUri(new Uri("http://127.0.0.1:18888")));

        Assert.Equal(
            "Faas is ready: REST http://127.0.0.1:8080 · gRPC http://127.0.0.1:8081 (HTTP/2 cleartext) · dashboard http://127.0.0.1:18888/login?t=t0ken",
            line);
    }

    [Fact]
    public void Infrastructure_only_ready_line_names_the_servers_and_the_dashboard()
    {
        var model = FaasAppModel.Build(
            new AppHostOptions { InfrastructureOnly = true },
            new AppHostContext(1, "Production", null, "/repo"),
            new FakePortAllocator(),
            new ServiceProjectCatalog([]));

        var line = ReadyBanner.Format(model, new Faas.AppHost.Dashboard.DashboardAccess("t0ken").LoginUri(new Uri("http://127.0.0.1:18888")));

        Assert.Equal(
            "Faas infrastructure is ready: redis tcp://127.0.0.1:20000 · postgres tcp://127.0.0.1:20001 · dashboard http://127.0.0.1:18888/login?t=t0ken",
            line);
    }
}
