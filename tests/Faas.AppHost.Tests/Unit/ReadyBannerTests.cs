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

        var line = ReadyBanner.Format(model, new Uri("http://127.0.0.1:18888"));

        Assert.Equal(
            "Faas is ready: REST http://127.0.0.1:8080 · gRPC http://127.0.0.1:8081 (HTTP/2 cleartext) · dashboard http://127.0.0.1:18888",
            line);
    }
}
