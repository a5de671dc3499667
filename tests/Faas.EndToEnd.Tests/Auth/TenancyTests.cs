using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit.Abstractions;

namespace Faas.EndToEnd.Tests.Auth;

/// <summary>
/// Negative cases against the real mesh: every public method without valid credentials, every tenant-scoped method
/// aimed at another tenant's function, execution or key, the admin and sink admin APIs as a developer, and the
/// internal services called directly. The methods come from the protos, so a new one fails these tests until it is classified.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class TenancyTests(MeshFixture mesh, ITestOutputHelper output) : IAsyncLifetime
{
    private TenantSession alice = null!;
    private TenantSession bob = null!;
    private string aliceSyncExecution = "";
    private string aliceAsyncExecution = "";
    private string aliceKeyId = "";

    public async Task InitializeAsync()
    {
        alice = await TenantSession.RegisterAsync(mesh.App, "alice");
        bob = await TenantSession.RegisterAsync(mesh.App, "bob");
        await MeshFixture.DeployAsync(alice.Rest, "alice-only", "echo");
        await MeshFixture.DeployAsync(alice.Rest, "shared-name", "echo");
        using (var invoke = await alice.Rest.PostAsync("/v1/functions/alice-only:invoke", new StringContent("hi")))
        {
            Assert.Equal(HttpStatusCode.OK, invoke.StatusCode);
            aliceSyncExecution = invoke.Headers.GetValues("x-execution-id").Single();
        }

        using (var enqueue = await alice.Rest.PostAsync("/v1/functions/alice-only:enqueue", new StringContent("later")))
        {
            Assert.Equal(HttpStatusCode.Accepted, enqueue.StatusCode);
            aliceAsyncExecution = enqueue.Headers.GetValues("x-execution-id").Single();
        }

        using var key = await alice.Rest.PostAsJsonAsync("/v1/apiKeys", new { name = "ci" });
        aliceKeyId = JsonDocument.Parse(await key.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetProperty("id").GetString()!;
    }

    public Task DisposeAsync()
    {
        alice.Dispose();
        bob.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_public_method_refuses_missing_and_invalid_credentials_over_grpc_and_rest()
    {
        var revoked = await CreateRevokedKeyAsync(alice);
        var credentials = new Dictionary<string, string>
        {
            ["no token"] = "",
            ["garbage"] = "not-a-token",
            ["bad signature"] = Token(alice, RandomKey(), DateTime.UtcNow.AddHours(1)),
            ["expired"] = Token(alice, UserTokenKey(), DateTime.UtcNow.AddMinutes(-5)),
            ["wrong issuer"] = Token(alice, UserTokenKey(), DateTime.UtcNow.AddHours(1), issuer: "someone-else"),
            ["revoked API key"] = revoked,
            ["unknown API key"] = "faas_" + Guid.NewGuid().ToString("N") + "_" + new string('A', 43),
        };

        var methods = ApiSurface.PublicMethods.Where(m => !ApiSurface.Open.Contains(m.FullName)).ToList();
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        var cases = 0;
        var failures = new List<string>();
        foreach (var (label, bearer) in credentials)
        {
            using var channel = mesh.App.CreateGatewayChannel(bearer: bearer);
            foreach (var method in methods)
            {
                var request = ApiSurface.ProbeRequest(method);
                var (grpc, detail, _) = await ApiSurface.CallGrpcAsync(channel, method, request);
                if (grpc != StatusCode.Unauthenticated)
                {
                    failures.Add($"gRPC {method.FullName} with {label}: {grpc} {detail}");
                }

                var (rest, body) = await ApiSurface.CallRestAsync(anonymous, method, request, bearer);
                if (rest != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"REST {method.FullName} with {label}: {(int)rest} {body}");
                }

                cases += 2;
            }
        }

        output.WriteLine($"{cases} unauthenticated cases over {methods.Count} methods and {credentials.Count} kinds of credentials");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Invalid_credentials_get_an_error_that_says_what_is_wrong()
    {
        var (_, expiredDetail, _) = await ApiSurface.CallGrpcAsync(
            mesh.App.CreateGatewayChannel(bearer: Token(alice, UserTokenKey(), DateTime.UtcNow.AddMinutes(-5))),
            Functions.Descriptor.FindMethodByName("ListFunctions"), new ListFunctionsRequest());
        Assert.Contains("expired", expiredDetail, StringComparison.OrdinalIgnoreCase);

        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var missing = await anonymous.GetAsync("/v1/functions");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("Authorization: Bearer", await missing.Content.ReadAsStringAsync());

        var (_, badSignature, _) = await ApiSurface.CallGrpcAsync(
            mesh.App.CreateGatewayChannel(bearer: Token(alice, RandomKey(), DateTime.UtcNow.AddHours(1))),
            Functions.Descriptor.FindMethodByName("ListFunctions"), new ListFunctionsRequest());
        Assert.Contains("signature", badSignature, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_tenant_reaches_none_of_another_tenants_functions_executions_or_keys_on_any_route()
    {
        var requests = CrossTenantRequests();
        var unclassified = ApiSurface.PublicMethods.Select(m => m.FullName).Where(name => !requests.ContainsKey(name)).ToList();
        Assert.True(unclassified.Count == 0, "Methods without a cross-tenant case: " + string.Join(", ", unclassified));

        // What only alice's tenant may ever see in a response.
        string[] hers = [aliceSyncExecution, aliceAsyncExecution, aliceKeyId, alice.TenantId, alice.Email, "alice-only"];
        var cases = 0;
        var failures = new List<string>();
        foreach (var method in ApiSurface.PublicMethods)
        {
            var (request, expected) = requests[method.FullName];
            if (expected is null)
            {
                continue;
            }

            var (grpc, detail, response) = await ApiSurface.CallGrpcAsync(bob.Channel, method, request);
            var (rest, body) = await ApiSurface.CallRestAsync(bob.Rest, method, request);
            cases += 2;
            if (grpc != expected)
            {
                failures.Add($"gRPC {method.FullName}: {grpc} {detail}, expected {expected}");
            }

            var expectedHttp = expected switch
            {
                StatusCode.NotFound => HttpStatusCode.NotFound,
                StatusCode.PermissionDenied => HttpStatusCode.Forbidden,
                _ => HttpStatusCode.OK,
            };
            if (rest != expectedHttp)
            {
                failures.Add($"REST {method.FullName}: {(int)rest} {body}, expected {(int)expectedHttp}");
            }

            // An error may repeat what bob asked for; nothing else of hers may appear.
            var asked = JsonFormatter.Default.Format(request);
            var seen = (response is null ? "" : JsonFormatter.Default.Format(response)) + body + detail;
            failures.AddRange(hers.Where(h => !asked.Contains(h, StringComparison.Ordinal) && seen.Contains(h, StringComparison.Ordinal))
                .Select(h => $"{method.FullName} showed bob '{h}'"));
        }

        // Bob's deploy of a name alice also uses made his own function; hers is untouched.
        var hersStill = await new Functions.FunctionsClient(alice.Channel).GetFunctionAsync(new GetFunctionRequest { Name = "shared-name" });
        Assert.Equal(1u, hersStill.VersionCount);
        using (var stillThere = await alice.Rest.GetAsync("/v1/functions/alice-only"))
        {
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        }

        output.WriteLine($"{cases} cross-tenant cases over {requests.Count} methods");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Internal_services_refuse_calls_without_a_service_token()
    {
        var targets = new (string Resource, ServiceDescriptor Service)[]
        {
            ("worker-0", Protos.V1.PushedSink.Descriptor),
            ("worker-1", Protos.V1.PushedSink.Descriptor),
            ("scheduler", Protos.V1.Scheduler.Descriptor),
            ("compiler", Protos.V1.Compiler.Descriptor),
            ("sinkmanager", Protos.V1.SinkDirectory.Descriptor),
            ("sinkmanager", Protos.V1.SinkAdmin.Descriptor),
        };
        Assert.Equal(
            ApiSurface.InternalServices.Select(s => s.FullName).Order(),
            targets.Select(t => t.Service.FullName).Distinct().Order());

        // Beside no token, a user's and the admin's: a sink's own token, and one forged in the services' name (their
        // issuer and audience, signed with another key). Neither is a service token.
        var bearers = new Dictionary<string, string>
        {
            ["no token"] = "",
            ["a user's credential"] = alice.Token,
            ["the admin key"] = mesh.App.AdminKey,
            ["a sink token"] = await SinkTokenAsync(),
            ["a forged service token"] = Token(alice, RandomKey(), DateTime.UtcNow.AddHours(1), issuer: "faas-internal"),
        };
        var cases = 0;
        var failures = new List<string>();
        foreach (var (resource, target) in targets)
        {
            foreach (var (kind, bearer) in bearers)
            {
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(mesh.App.GetEndpoint(resource, "grpc"), new Grpc.Net.Client.GrpcChannelOptions
                {
                    HttpHandler = new BearerHandler(bearer) { InnerHandler = new SocketsHttpHandler() },
                });
                foreach (var method in target.Methods)
                {
                    var (status, detail, _) = await ApiSurface.CallGrpcAsync(channel, method, ApiSurface.ProbeRequest(method));
                    cases++;
                    if (status != StatusCode.Unauthenticated)
                    {
                        failures.Add($"{resource} {method.FullName} with {kind}: {status} {detail}");
                    }
                }
            }
        }

        // The sink protocol takes sink tokens only (Login aside): not a user's credential, not an API key, not a service token.
        using (var sinkPort = mesh.App.CreateServiceChannel("sinkmanager"))
        {
            foreach (var method in Protos.V1.SinkProtocol.Descriptor.Methods.Where(m => m.Name != "Login"))
            {
                var (status, detail, _) = await ApiSurface.CallGrpcAsync(sinkPort, method, ApiSurface.ProbeRequest(method));
                cases++;
                if (status != StatusCode.Unauthenticated)
                {
                    failures.Add($"sinkmanager {method.FullName} with a service token: {status} {detail}");
                }
            }
        }

        // With a service token the same port answers.
        using var asService = mesh.App.CreateServiceChannel("worker-0");
        var workerStatus = await new Protos.V1.PushedSink.PushedSinkClient(asService).GetStatusAsync(new GetStatusRequest());
        Assert.Equal("worker-0", workerStatus.Worker);

        output.WriteLine($"{cases} direct calls to internal services");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Health_is_open_and_metrics_need_the_operators_token_when_one_is_set()
    {
        foreach (var resource in new[] { "gateway", "scheduler", "worker-0", "compiler" })
        {
            using var anonymous = mesh.App.CreateHttpClient(resource, "http", bearer: "");
            using (var health = await anonymous.GetAsync("/health"))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }

            using (var metrics = await anonymous.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
            }

            using var userToken = mesh.App.CreateHttpClient(resource, "http", bearer: alice.Token);
            using (var metrics = await userToken.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
            }

            using var operatorClient = mesh.App.CreateHttpClient(resource, "http", bearer: mesh.MetricsToken);
            using var scraped = await operatorClient.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        }
    }

    [Fact]
    public async Task A_revoked_api_key_is_refused_at_once()
    {
        using var created = await alice.Rest.PostAsJsonAsync("/v1/apiKeys", new { name = "deploy-bot", expiresInDays = 30 });
        var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var secret = json.GetProperty("secret").GetString()!;
        var id = json.GetProperty("key").GetProperty("id").GetString()!;
        using var withKey = mesh.App.CreateHttpClient("gateway", "http", bearer: secret);

        using (var me = await withKey.GetAsync("/v1/auth/me"))
        {
            var identity = JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Equal(alice.TenantId, identity.GetProperty("tenantId").GetString());
            Assert.Equal("api_key", identity.GetProperty("authenticatedBy").GetString());
        }

        using (var list = await alice.Rest.GetAsync("/v1/apiKeys"))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.Contains(id, text);
            Assert.DoesNotContain(secret, text);
        }

        using (var revoke = await alice.Rest.DeleteAsync($"/v1/apiKeys/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using var after = await withKey.GetAsync("/v1/functions");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("revoked", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_logout_refuses_every_earlier_token_of_the_user_and_a_new_login_works_at_once()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        var (second, _) = await TenantSession.LoginAsync(anonymous, alice.Email, alice.Password);
        using var withSecond = mesh.App.CreateHttpClient("gateway", "http", bearer: second);
        using (var before = await withSecond.GetAsync("/v1/functions"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var logout = await withSecond.PostAsJsonAsync("/v1/auth:logout", new { }))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        foreach (var client in new[] { withSecond, alice.Rest })
        {
            using var after = await client.GetAsync("/v1/functions");
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Contains("logout", await after.Content.ReadAsStringAsync());
        }

        var (third, _) = await TenantSession.LoginAsync(anonymous, alice.Email, alice.Password);
        using var withThird = mesh.App.CreateHttpClient("gateway", "http", bearer: third);
        using var again = await withThird.GetAsync("/v1/functions");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task A_deleted_users_tokens_and_keys_stop_working_at_once()
    {
        var email = $"leaver-{Guid.NewGuid():N}@example.com";
        string userId;
        using (var created = await mesh.Rest.PostAsJsonAsync("/v1/users", new { email, password = "a long enough password", tenant = bob.Tenant }))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.True(created.IsSuccessStatusCode, text);
            userId = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        }

        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        var (token, _) = await TenantSession.LoginAsync(anonymous, email, "a long enough password");
        using var withToken = mesh.App.CreateHttpClient("gateway", "http", bearer: token);
        using var keyResponse = await withToken.PostAsJsonAsync("/v1/apiKeys", new { name = "laptop" });
        var key = JsonDocument.Parse(await keyResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        using var withKey = mesh.App.CreateHttpClient("gateway", "http", bearer: key);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("/v1/functions")).StatusCode);

        using (var deleted = await mesh.Rest.DeleteAsync($"/v1/users/{userId}"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var tokenAfter = await withToken.GetAsync("/v1/functions");
        Assert.Equal(HttpStatusCode.Unauthorized, tokenAfter.StatusCode);
        Assert.Contains("no longer exists", await tokenAfter.Content.ReadAsStringAsync());
        using var keyAfter = await withKey.GetAsync("/v1/functions");
        Assert.Equal(HttpStatusCode.Unauthorized, keyAfter.StatusCode);
    }

    [Fact]
    public async Task Failed_logins_are_limited_per_account()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await anonymous.PostAsJsonAsync("/v1/auth:login", new { email = bob.Email, password = "wrong password " + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Even the right password waits now.
        using var blocked = await anonymous.PostAsJsonAsync("/v1/auth:login", new { email = bob.Email, password = bob.Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.RetryAfter is not null || blocked.Headers.Contains("retry-after"));

        // Another account from the same address is not locked out by bob's failures.
        var (token, _) = await TenantSession.LoginAsync(anonymous, alice.Email, alice.Password);
        Assert.NotEmpty(token);
    }

    [Fact]
    public async Task Registration_refuses_bad_input_and_taken_addresses()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using (var weak = await anonymous.PostAsJsonAsync("/v1/auth:register", new { email = "weak@example.com", password = "short" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
            Assert.Contains("password", await weak.Content.ReadAsStringAsync());
        }

        using (var badEmail = await anonymous.PostAsJsonAsync("/v1/auth:register", new { email = "not-an-address", password = "long enough password" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        }

        using var taken = await anonymous.PostAsJsonAsync("/v1/auth:register", new { email = alice.Email, password = "another long password" });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
    }

    private Dictionary<string, (IMessage Request, StatusCode? Expected)> CrossTenantRequests()
    {
        var body = new HttpBody { Data = ByteString.CopyFromUtf8("x") };
        return new Dictionary<string, (IMessage, StatusCode?)>
        {
            // Names are per tenant: bob's deploy of a name alice uses creates bob's own function.
            ["faas.v1.Functions.DeployFunction"] = (new DeployFunctionRequest { Name = "shared-name", Language = "wat", Source = MeshFixture.Wat("echo") }, StatusCode.OK),
            ["faas.v1.Functions.GetFunction"] = (new GetFunctionRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Functions.ListFunctions"] = (new ListFunctionsRequest(), StatusCode.OK),
            ["faas.v1.Functions.DeleteFunction"] = (new DeleteFunctionRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Functions.GetFunctionVersion"] = (new GetFunctionVersionRequest { Name = "alice-only", Version = 1 }, StatusCode.NotFound),
            ["faas.v1.Functions.ListFunctionVersions"] = (new ListFunctionVersionsRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Functions.DeleteFunctionVersion"] = (new DeleteFunctionVersionRequest { Name = "alice-only", Version = 1 }, StatusCode.NotFound),
            // Not tenant data: the languages this installation builds.
            ["faas.v1.Functions.ListToolchains"] = (new ListToolchainsRequest(), StatusCode.OK),
            ["faas.v1.Functions.UpdateFunctionSecrets"] = (new UpdateFunctionSecretsRequest { Name = "alice-only", Remove = { "ANY_SECRET" } }, StatusCode.NotFound),
            ["faas.v1.Logs.ReadLogs"] = (new ReadLogsRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Invocations.Invoke"] = (new InvokeRequest { Name = "alice-only", Body = body }, StatusCode.NotFound),
            ["faas.v1.Invocations.Enqueue"] = (new EnqueueRequest { Name = "alice-only", Body = body }, StatusCode.NotFound),
            ["faas.v1.Invocations.GetQueueStats"] = (new GetQueueStatsRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Invocations.ListDeadLetters"] = (new ListDeadLettersRequest { Name = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Invocations.RedriveDeadLetters"] = (
                new RedriveDeadLettersRequest { Name = "alice-only", ExecutionIds = { aliceAsyncExecution } }, StatusCode.NotFound),
            ["faas.v1.Executions.GetExecution"] = (new GetExecutionRequest { Id = aliceSyncExecution }, StatusCode.NotFound),
            ["faas.v1.Executions.GetExecutionOutput"] = (new GetExecutionRequest { Id = aliceAsyncExecution }, StatusCode.NotFound),
            ["faas.v1.Executions.ListExecutions"] = (new ListExecutionsRequest { Function = "alice-only" }, StatusCode.NotFound),
            ["faas.v1.Auth.Register"] = (new RegisterRequest(), null),
            ["faas.v1.Auth.Login"] = (new LoginRequest(), null),
            // Only ever about the caller; bob logging out here would end this sweep (see the logout test).
            ["faas.v1.Auth.Logout"] = (new LogoutRequest(), null),
            ["faas.v1.Auth.WhoAmI"] = (new WhoAmIRequest(), StatusCode.OK),
            ["faas.v1.Auth.CreateApiKey"] = (new CreateApiKeyRequest { Name = "bob's" }, StatusCode.OK),
            ["faas.v1.Auth.ListApiKeys"] = (new ListApiKeysRequest(), StatusCode.OK),
            ["faas.v1.Auth.RevokeApiKey"] = (new RevokeApiKeyRequest { Id = aliceKeyId }, StatusCode.NotFound),
            // A developer may not administer anything, least of all alice's tenant.
            ["faas.v1.Admin.CreateUser"] = (new CreateUserRequest { Email = "mallory@example.com", Password = "long enough password", Tenant = alice.Tenant }, StatusCode.PermissionDenied),
            ["faas.v1.Admin.ListUsers"] = (new ListUsersRequest(), StatusCode.PermissionDenied),
            ["faas.v1.Admin.DeleteUser"] = (new DeleteUserRequest { Id = alice.UserId }, StatusCode.PermissionDenied),
            ["faas.v1.Admin.ListTenants"] = (new ListTenantsRequest(), StatusCode.PermissionDenied),
            ["faas.v1.Admin.SetTenantQuota"] = (new SetTenantQuotaRequest { Tenant = alice.Tenant, Quota = new TenantQuota { MaxFunctions = 1 } }, StatusCode.PermissionDenied),
            // Sinks are administered by administrators only; a developer is refused before anything reaches the sink manager.
            ["faas.v1.SinkAdmin.CreateSinkCredential"] = (new CreateSinkCredentialRequest { Name = "mallory-sink" }, StatusCode.PermissionDenied),
            ["faas.v1.SinkAdmin.ListSinkCredentials"] = (new ListSinkCredentialsRequest(), StatusCode.PermissionDenied),
            ["faas.v1.SinkAdmin.RevokeSinkCredential"] = (new RevokeSinkCredentialRequest { Id = Guid.NewGuid().ToString() }, StatusCode.PermissionDenied),
            ["faas.v1.SinkAdmin.ListSinks"] = (new ListSinksRequest(), StatusCode.PermissionDenied),
            ["faas.v1.SinkAdmin.GetSink"] = (new GetSinkRequest { SinkId = "probe" }, StatusCode.PermissionDenied),
            ["faas.v1.SinkAdmin.DeleteSink"] = (new DeleteSinkRequest { SinkId = "probe" }, StatusCode.PermissionDenied),
        };
    }

    private async Task<string> CreateRevokedKeyAsync(TenantSession session)
    {
        using var created = await session.Rest.PostAsJsonAsync("/v1/apiKeys", new { name = "soon revoked" });
        var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        using var revoke = await session.Rest.DeleteAsync($"/v1/apiKeys/{json.GetProperty("key").GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        return json.GetProperty("secret").GetString()!;
    }

    private SymmetricSecurityKey UserTokenKey() =>
        new(Convert.FromBase64String(File.ReadAllText(mesh.App.State.UserTokenKeyFile).Trim()));

    private static SymmetricSecurityKey RandomKey() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));

    /// <summary>A token a sink gets from the sink manager's Login, with a credential the admin made.</summary>
    private async Task<string> SinkTokenAsync()
    {
        using var admin = mesh.App.CreateHttpClient("gateway", "http", bearer: mesh.App.AdminKey);
        using var created = await admin.PostAsJsonAsync("/v1/sinkCredentials", new { name = "tenancy-probe" });
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, body);
        var secret = JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(mesh.App.GetEndpoint("sinkmanager", "grpc"));
        return (await new SinkProtocol.SinkProtocolClient(channel).LoginAsync(new SinkLoginRequest { Credential = secret })).Token;
    }

    /// <summary>A user token for the session's user, signed with <paramref name="key"/>, expiring at <paramref name="expires"/>.</summary>
    private static string Token(TenantSession session, SymmetricSecurityKey key, DateTime expires, string issuer = "faas") =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", session.UserId), new Claim("tenant", session.TenantId), new Claim("role", "developer"), new Claim("email", session.Email),
            ]),
            Issuer = issuer,
            Audience = issuer,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });

    private sealed class BearerHandler(string bearer) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (bearer.Length > 0)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
