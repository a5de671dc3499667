using System.Security.Claims;
using Faas.Storage.Identity;
using Grpc.Core;

namespace Faas.Gateway.Auth;

/// <summary>Who made a request: the authenticated user, their tenant and role.</summary>
public sealed record Caller(Guid UserId, string Email, Guid TenantId, Role Role, string AuthenticatedBy)
{
    public const string TenantClaim = "tenant";
    public const string RoleClaim = "role";
    public const string EmailClaim = "email";
    public const string MethodClaim = "amr";

    public static Caller From(ClaimsPrincipal principal) =>
        TryFrom(principal) ?? throw new InvalidOperationException("The request is not authenticated; the endpoint should have required it.");

    public static Caller? TryFrom(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue("sub"), out var userId)
            || !Guid.TryParse(principal.FindFirstValue(TenantClaim), out var tenantId))
        {
            return null;
        }

        return new Caller(
            userId, principal.FindFirstValue(EmailClaim) ?? "", tenantId,
            IdentityStore.ParseRole(principal.FindFirstValue(RoleClaim) ?? ""), principal.FindFirstValue(MethodClaim) ?? "token");
    }

    public static List<Claim> Claims(Guid userId, string email, Guid tenantId, Role role, string method) =>
    [
        new("sub", userId.ToString()),
        new(EmailClaim, email),
        new(TenantClaim, tenantId.ToString()),
        new(RoleClaim, IdentityStore.RoleName(role)),
        new(MethodClaim, method),
    ];
}

public static class CallerExtensions
{
    /// <summary>The authenticated caller of a gRPC (or transcoded REST) call.</summary>
    public static Caller Caller(this ServerCallContext context) => Auth.Caller.From(context.GetHttpContext().User);

    /// <summary>The caller's tenant: everything a call reads or writes is scoped to it.</summary>
    public static Guid TenantId(this ServerCallContext context) => context.Caller().TenantId;
}
