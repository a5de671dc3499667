using System.Net;
using System.Text.Json;
using Faas.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// Registration and login cost a bcrypt hash each, so they are rate-limited per client address and per gateway. Each test
/// comes from its own loopback address, so the address the other tests share keeps its budget.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AccountRateLimitTests(MeshFixture mesh)
{
    [Fact]
    public async Task Registration_past_the_per_address_limit_is_429_with_retry_after_and_other_addresses_still_register()
    {
        using var attacker = Client(LoopbackClients.NewSourceAddress());
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 2 * MeshFixture.AccountRequestsPerAddress && limited is null; i++)
        {
            // An empty registration is refused cheaply (400), before any hashing; it still counts.
            var response = await attacker.PostAsync("/v1/auth:register", ErrorBodies.Json("{}"));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {limited.Headers.RetryAfter}");
            var body = await limited.Content.ReadAsStringAsync();
            Assert.Equal(8, JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32()); // RESOURCE_EXHAUSTED
            ErrorBodies.AssertNoExceptionText(body);
        }

        using var neighbour = Client(LoopbackClients.NewSourceAddress());
        using var allowed = await neighbour.PostAsync("/v1/auth:register", ErrorBodies.Json("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, allowed.StatusCode);
    }

    [Fact]
    public async Task Registration_over_grpc_past_the_per_address_limit_is_resource_exhausted_with_retry_after()
    {
        using var channel = GrpcChannel.ForAddress(mesh.App.GetEndpoint("gateway", "grpc"), new GrpcChannelOptions
        {
            HttpHandler = LoopbackClients.From(LoopbackClients.NewSourceAddress()),
        });
        var auth = new Protos.V1.Auth.AuthClient(channel);
        RpcException? limited = null;
        for (var i = 0; i < 2 * MeshFixture.AccountRequestsPerAddress && limited is null; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => auth.RegisterAsync(new RegisterRequest()).ResponseAsync);
            if (error.StatusCode == StatusCode.ResourceExhausted)
            {
                limited = error;
            }
            else
            {
                Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            }
        }

        Assert.NotNull(limited);
        Assert.True(int.TryParse(limited.Trailers.GetValue("retry-after"), out var seconds) && seconds > 0, $"retry-after: {limited.Trailers.GetValue("retry-after")}");
        ErrorBodies.AssertNoExceptionText(limited.Status.Detail);
    }

    private HttpClient Client(IPAddress source) => new(LoopbackClients.From(source)) { BaseAddress = mesh.App.GetEndpoint("gateway", "http") };
}
