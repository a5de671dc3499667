using System.Net.Http.Json;
using System.Text.Json;
using Faas.Testing;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests.Auth;

/// <summary>A user who registered through the public API, logged in, and talks to the gateway with their token.</summary>
public sealed class TenantSession : IDisposable
{
    private TenantSession(string email, string password, string token, JsonElement user, FaasTestApp app)
    {
        Email = email;
        Password = password;
        Token = token;
        UserId = user.GetProperty("id").GetString()!;
        TenantId = user.GetProperty("tenantId").GetString()!;
        Tenant = user.GetProperty("tenant").GetString()!;
        Rest = app.CreateHttpClient("gateway", "http", bearer: token);
        Channel = app.CreateGatewayChannel(bearer: token);
    }

    public string Email { get; }

    public string Password { get; }

    public string Token { get; }

    public string UserId { get; }

    public string TenantId { get; }

    public string Tenant { get; }

    public HttpClient Rest { get; }

    public GrpcChannel Channel { get; }

    /// <summary>Registers a new account (with its own tenant) and logs in.</summary>
    public static async Task<TenantSession> RegisterAsync(FaasTestApp app, string prefix)
    {
        var email = $"{prefix}-{Guid.NewGuid():N}@example.com";
        var password = "correct horse battery " + Guid.NewGuid().ToString("N")[..8];
        // From an address of its own in 127.0.0.0/8: sign-ups and logins are limited per client address, and the tests
        // together register more accounts a minute than one address may, which is what the limit is for.
        using var anonymous = new HttpClient(Security.LoopbackClients.From(Security.LoopbackClients.NewSourceAddress()))
        {
            BaseAddress = app.GetEndpoint("gateway", "http"),
        };
        using (var register = await anonymous.PostAsJsonAsync("/v1/auth:register", new { email, password }))
        {
            Assert.True(register.IsSuccessStatusCode, $"register: {(int)register.StatusCode} {await register.Content.ReadAsStringAsync()}");
        }

        var (token, user) = await LoginAsync(anonymous, email, password);
        return new TenantSession(email, password, token, user, app);
    }

    public static async Task<(string Token, JsonElement User)> LoginAsync(HttpClient anonymous, string email, string password)
    {
        using var login = await anonymous.PostAsJsonAsync("/v1/auth:login", new { email, password });
        var body = await login.Content.ReadAsStringAsync();
        Assert.True(login.IsSuccessStatusCode, $"login: {(int)login.StatusCode} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("token").GetString()!, json.GetProperty("user").Clone());
    }

    public void Dispose()
    {
        Rest.Dispose();
        Channel.Dispose();
    }
}
