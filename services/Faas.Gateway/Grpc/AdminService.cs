using Faas.Caching;
using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Storage.Identity;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using ProtoRole = Faas.Protos.V1.Role;
using ProtoTenantQuota = Faas.Protos.V1.TenantQuota;
using TenantQuota = Faas.Storage.Identity.TenantQuota;

namespace Faas.Gateway.Grpc;

/// <summary>Users, tenants and quotas; administrators only.</summary>
public sealed partial class AdminService(
    IdentityStore identities, TenantQuotas quotas, PasswordHasher passwords, ApiKeyDirectory apiKeys, UserSessions sessions,
    IOptions<AuthOptions> authOptions, IOptions<GatewayOptions> options, ILogger<AdminService> logger)
    : Admin.AdminBase
{
    public override async Task<Protos.V1.User> CreateUser(CreateUserRequest request, ServerCallContext context)
    {
        var email = AccountRules.Email(request.Email);
        AccountRules.Password(request.Password, authOptions.Value.MinPasswordLength);
        var tenantName = AccountRules.TenantName(request.Tenant);
        var role = request.Role == ProtoRole.Admin ? Storage.Identity.Role.Admin : Storage.Identity.Role.Developer;
        var hash = await passwords.HashAsync(request.Password, context.CancellationToken).ConfigureAwait(false);
        try
        {
            Storage.Identity.User user;
            if (request.CreateTenant)
            {
                user = await identities.CreateTenantWithUserAsync(tenantName, email, hash, role, context.CancellationToken).ConfigureAwait(false);
            }
            else
            {
                var tenant = await identities.FindTenantByNameAsync(tenantName, context.CancellationToken).ConfigureAwait(false)
                    ?? throw new NotFoundException($"Tenant '{tenantName}' not found; set createTenant to create it.");
                user = await identities.CreateUserAsync(tenant.Id, email, hash, role, context.CancellationToken).ConfigureAwait(false);
            }

            LogUserCreated(logger, context.Caller().Email, user.Email, user.TenantName);
            return AuthService.ToProto(user);
        }
        catch (IdentityConflictException e)
        {
            throw new AlreadyExistsException(e.Message);
        }
    }

    public override async Task<ListUsersResponse> ListUsers(ListUsersRequest request, ServerCallContext context)
    {
        var page = await identities.ListUsersAsync(Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken)
            .ConfigureAwait(false);
        var (items, next) = Paging.Fit(page, AuthService.ToProto, options.Value);
        var response = new ListUsersResponse { NextPageToken = next };
        response.Users.Add(items);
        return response;
    }

    public override async Task<DeleteUserResponse> DeleteUser(DeleteUserRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        if (!Guid.TryParse(request.Id, out var id))
        {
            throw new NotFoundException($"User '{Echo.Short(request.Id)}' not found.");
        }

        if (id == caller.UserId)
        {
            throw new InvalidRequestException("An administrator cannot delete their own account.");
        }

        var keys = await identities.ListApiKeysAsync(id, context.CancellationToken).ConfigureAwait(false);
        if (!await identities.DeleteUserAsync(id, context.CancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"User '{Echo.Short(request.Id)}' not found.");
        }

        await apiKeys.ForgetEverywhereAsync(keys.Select(k => k.Id)).ConfigureAwait(false);
        await sessions.ForgetEverywhereAsync(id).ConfigureAwait(false);
        LogUserDeleted(logger, caller.Email, id);
        return new DeleteUserResponse();
    }

    public override async Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context)
    {
        var tenants = await identities.ListTenantsAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new ListTenantsResponse();
        response.Tenants.Add(tenants.Select(ToProto));
        return response;
    }

    public override async Task<Protos.V1.Tenant> SetTenantQuota(SetTenantQuotaRequest request, ServerCallContext context)
    {
        var tenant = await identities.FindTenantByNameAsync(AccountRules.TenantName(request.Tenant), context.CancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Tenant '{request.Tenant}' not found.");
        var quota = request.Quota ?? new ProtoTenantQuota();
        var domain = new TenantQuota(
            Field(quota.HasMaxFunctions, quota.MaxFunctions, "maxFunctions", 1_000_000),
            Field(quota.HasMaxConcurrentExecutions, quota.MaxConcurrentExecutions, "maxConcurrentExecutions", 1_000_000),
            Field(quota.HasInvocationsPerSecond, quota.InvocationsPerSecond, "invocationsPerSecond", 10_000_000),
            Field(quota.HasInvocationBurst, quota.InvocationBurst, "invocationBurst", 10_000_000));
        await quotas.SetAsync(tenant.Id, domain, context.CancellationToken).ConfigureAwait(false);
        LogQuotaSet(logger, context.Caller().Email, tenant.Name);
        return ToProto(tenant with { Quota = domain });
    }

    private Protos.V1.Tenant ToProto(Storage.Identity.Tenant tenant)
    {
        var effective = quotas.Effective(tenant.Quota);
        return new Protos.V1.Tenant
        {
            Id = tenant.Id.ToString(),
            Name = tenant.Name,
            Quota = ToProto(tenant.Quota),
            EffectiveQuota = ToProto(new TenantQuota(
                effective.MaxFunctions, effective.MaxConcurrentExecutions, effective.InvocationsPerSecond, effective.InvocationBurst)),
            CreatedAt = Timestamp.FromDateTimeOffset(tenant.CreatedAt),
        };
    }

    private static ProtoTenantQuota ToProto(TenantQuota quota)
    {
        var proto = new ProtoTenantQuota();
        if (quota.MaxFunctions is { } f)
        {
            proto.MaxFunctions = (uint)f;
        }

        if (quota.MaxConcurrentExecutions is { } c)
        {
            proto.MaxConcurrentExecutions = (uint)c;
        }

        if (quota.InvocationsPerSecond is { } r)
        {
            proto.InvocationsPerSecond = (uint)r;
        }

        if (quota.InvocationBurst is { } b)
        {
            proto.InvocationBurst = (uint)b;
        }

        return proto;
    }

    private static int? Field(bool present, uint value, string name, int max) =>
        !present ? null
        : value is >= 1 && value <= max ? (int)value
        : throw new InvalidRequestException($"{name} must be between 1 and {max}; leave it out for the default.");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Admin} created user {Email} in tenant {Tenant}")]
    private static partial void LogUserCreated(ILogger logger, string admin, string email, string tenant);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Admin} deleted user {UserId}")]
    private static partial void LogUserDeleted(ILogger logger, string admin, Guid userId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Admin} set the quota of tenant {Tenant}")]
    private static partial void LogQuotaSet(ILogger logger, string admin, string tenant);
}
