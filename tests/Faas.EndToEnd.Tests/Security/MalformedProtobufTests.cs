namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// Bytes that are not a valid request message, sent as a gRPC call over raw HTTP/2: the call ends with INVALID_ARGUMENT and
/// a short reason, never UNKNOWN with the parser's exception.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MalformedProtobufTests(MeshFixture mesh)
{
    [Theory]
    [InlineData("invalid UTF-8 in a string field", new byte[] { 0x0A, 0x02, 0xC3, 0x28 })]
    [InlineData("a field longer than the message", new byte[] { 0x0A, 0x10, 0x61 })]
    [InlineData("a wire type that does not exist", new byte[] { 0x0F, 0x01 })]
    public async Task Malformed_protobuf_to_the_gateway_is_invalid_argument_without_exception_text(string problem, byte[] message)
    {
        var anonymous = await LoopbackClients.PostRawGrpcAsync(mesh.App, "gateway", "/faas.v1.Auth/Login", message);
        var authenticated = await LoopbackClients.PostRawGrpcAsync(mesh.App, "gateway", "/faas.v1.Functions/GetFunction", message, mesh.App.AdminKey);

        foreach (var (status, detail) in new[] { anonymous, authenticated })
        {
            Assert.True(status == 3, $"{problem}: status {status} {detail}");
            ErrorBodies.AssertNoExceptionText(detail);
        }
    }

    [Fact]
    public async Task Malformed_protobuf_to_an_internal_service_is_invalid_argument_without_exception_text()
    {
        var (status, detail) = await LoopbackClients.PostRawGrpcAsync(mesh.App, "sinkmanager", "/faas.v1.SinkProtocol/Login", [0x0A, 0x02, 0xC3, 0x28]);

        Assert.Equal(3, status);
        ErrorBodies.AssertNoExceptionText(detail);
    }
}
