using Grpc.Reflection.V1Alpha;

namespace Faas.EndToEnd.Tests;

[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReflectionTests(MeshFixture mesh)
{
    [Fact]
    public async Task Server_reflection_lists_the_public_services_for_grpcurl_and_buf()
    {
        var client = new ServerReflection.ServerReflectionClient(mesh.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("faas.v1.Functions", services);
        Assert.Contains("faas.v1.Invocations", services);
        Assert.Contains("faas.v1.Executions", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
