using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Gateway.Grpc;
using Faas.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Tests.Auth;

public class RegistrationTests
{
    [Fact]
    public async Task Closed_registration_is_permission_denied_saying_an_administrator_creates_accounts()
    {
        // Closed registration is refused before anything is read or written, so the service needs none of its stores.
        var service = new AuthService(
            null!, null!, null!, null!, null!, null!, Options.Create(new AuthOptions { AllowRegistration = false }), NullLogger<AuthService>.Instance);

        var error = await Assert.ThrowsAsync<PermissionDeniedException>(() =>
            service.Register(new RegisterRequest { Email = "ada@example.com", Password = "a long passphrase" }, null!));

        Assert.Contains("administrator creates accounts", error.Message);
    }
}
