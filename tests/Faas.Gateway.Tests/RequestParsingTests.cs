using System.Buffers;
using Faas.Protos.V1;
using Faas.ServiceDefaults.RequestParsing;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.Gateway.Tests;

public class RequestParsingTests
{
    private static readonly Method<LoginRequest, LoginResponse> Login = new(
        MethodType.Unary, "faas.v1.Auth", "Login",
        Marshallers.Create((LoginRequest r) => r.ToByteArray(), LoginRequest.Parser.ParseFrom),
        Marshallers.Create((LoginResponse r) => r.ToByteArray(), LoginResponse.Parser.ParseFrom));

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x02, 0xC3, 0x28 })]
    [InlineData(new byte[] { 0x0A, 0x10, 0x61 })]
    [InlineData(new byte[] { 0x0F, 0x01 })]
    public void A_request_that_does_not_parse_is_invalid_argument_with_a_short_reason(byte[] bytes)
    {
        var strict = RequestParsing.Strict(Login);

        var error = Assert.Throws<RpcException>(() => strict.RequestMarshaller.ContextualDeserializer(new Payload(bytes)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("The request is not a valid LoginRequest message", error.Status.Detail);
        Assert.DoesNotContain("Exception", error.Status.Detail);
    }

    [Fact]
    public void A_request_that_parses_comes_through_and_the_method_keeps_its_name()
    {
        var strict = RequestParsing.Strict(Login);

        var request = strict.RequestMarshaller.ContextualDeserializer(new Payload(new LoginRequest { Email = "ada@example.com" }.ToByteArray()));

        Assert.Equal("ada@example.com", request.Email);
        Assert.Equal("/faas.v1.Auth/Login", strict.FullName);
    }

    private sealed class Payload(byte[] bytes) : DeserializationContext
    {
        public override int PayloadLength => bytes.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])bytes.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(bytes);
    }
}
