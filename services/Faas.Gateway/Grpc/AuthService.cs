using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Storage.Identity;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ProtoRole = Faas.Protos.V1.Role;
using User = Faas.Storage.Identity.User;

namespace Faas.Gateway.Grpc;

public sealed partial class AuthService(
    IdentityStore identities, PasswordHasher passwords, UserTokens tokens, LoginThrottle throttle, ApiKeyDirectory apiKeys, UserSessions sessions,
    IOptions<AuthOptions> options, ILogger<AuthService> logger)
    : Protos.V1.Auth.AuthBase
{
    [AllowAnonymous]
    [EnableRateLimiting(AccountRateLimit.Policy)]
    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        if (!options.Value.AllowRegistration)
        {
            throw new PermissionDeniedException("Registration is closed on this installation: an administrator creates accounts (POST /v1/users).");
        }

        var email = AccountRules.Email(request.Email);
        AccountRules.Password(request.Password, options.Value.MinPasswordLength);
        var derived = string.IsNullOrEmpty(request.Tenant);
        var tenant = derived ? AccountRules.TenantNameFrom(email) : AccountRules.TenantName(request.Tenant);
        if (await identities.FindUserByEmailAsync(email, context.CancellationToken).ConfigureAwait(false) is not null)
        {
            throw new AlreadyExistsException($"A user with the e-mail address '{email}' exists.");
        }

        var hash = await passwords.HashAsync(request.Password, context.CancellationToken).ConfigureAwait(false);
        User user;
        try
        {
            user = await identities.CreateTenantWithUserAsync(tenant, email, hash, Storage.Identity.Role.Developer, context.CancellationToken).ConfigureAwait(false);
        }
        catch (IdentityConflictException e) when (!derived || e.EmailTaken)
        {
            throw new AlreadyExistsException(e.Message);
        }
        catch (IdentityConflictException)
        {
            // The name made from the address is taken: make it unique.
            tenant = $"{tenant}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
            user = await CreateOrConflictAsync(() => identities.CreateTenantWithUserAsync(tenant, email, hash, Storage.Identity.Role.Developer, context.CancellationToken))
                .ConfigureAwait(false);
        }

        LogRegistered(logger, user.Email, user.TenantName);
        return new RegisterResponse { User = ToProto(user) };
    }

    [AllowAnonymous]
    [EnableRateLimiting(AccountRateLimit.Policy)]
    public override async Task<LoginResponse> Login(LoginRequest request, ServerCallContext context)
    {
        AccountRules.Credentials(request.Email, request.Password);
        var address = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.Blocked(request.Email, address) is { } wait)
        {
            LogLoginThrottled(logger, address);
            throw new CapacityExceededException("Too many failed logins for this account or from this address; try again later.", (int)Math.Ceiling(wait.TotalSeconds));
        }

        var user = await identities.FindUserByEmailAsync(request.Email.Trim(), context.CancellationToken).ConfigureAwait(false);
        if (!await passwords.VerifyAsync(request.Password, user?.PasswordHash, context.CancellationToken).ConfigureAwait(false) || user is null)
        {
            throttle.Failed(request.Email, address);
            LogLoginFailed(logger, address);
            throw new UnauthenticatedException("The e-mail address or the password is wrong.");
        }

        var (token, expiresAt) = tokens.Issue(user);
        return new LoginResponse { Token = token, ExpiresAt = Timestamp.FromDateTimeOffset(expiresAt), User = ToProto(user) };
    }

    public override async Task<LogoutResponse> Logout(LogoutRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        await sessions.LogoutAsync(caller.UserId, context.CancellationToken).ConfigureAwait(false);
        LogLoggedOut(logger, caller.Email);
        return new LogoutResponse();
    }

    public override async Task<Identity> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var user = await identities.GetUserAsync(caller.UserId, context.CancellationToken).ConfigureAwait(false)
            ?? throw new UnauthenticatedException("The account of this token no longer exists.");
        return new Identity
        {
            UserId = user.Id.ToString(), Email = user.Email, TenantId = user.TenantId.ToString(), Tenant = user.TenantName,
            Role = ToProto(user.Role), AuthenticatedBy = caller.AuthenticatedBy,
        };
    }

    public override async Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var name = request.Name.Trim();
        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
        {
            throw new InvalidRequestException("An API key needs a name of 1 to 100 characters, none of them control characters.");
        }

        if (request.ExpiresInDays > 3650)
        {
            throw new InvalidRequestException("An API key expires within 3650 days at most (0: never).");
        }

        var (id, secret, sha256) = ApiKeySecrets.Generate();
        DateTimeOffset? expiresAt = request.ExpiresInDays == 0 ? null : DateTimeOffset.UtcNow.AddDays(request.ExpiresInDays);
        Storage.Identity.ApiKey key;
        try
        {
            key = await identities.CreateApiKeyAsync(id, caller.UserId, name, sha256, expiresAt, context.CancellationToken, options.Value.MaxApiKeysPerUser)
                .ConfigureAwait(false);
        }
        catch (ApiKeyLimitExceededException e)
        {
            throw new LimitReachedException($"{e.Message} (Auth:MaxApiKeysPerUser)");
        }

        LogKeyCreated(logger, caller.Email, id);
        return new CreateApiKeyResponse { Key = ToProto(key), Secret = secret };
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var keys = await identities.ListApiKeysAsync(context.Caller().UserId, context.CancellationToken).ConfigureAwait(false);
        var response = new ListApiKeysResponse();
        response.Keys.Add(keys.Select(ToProto));
        return response;
    }

    public override async Task<Protos.V1.ApiKey> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        if (!Guid.TryParse(request.Id, out var id) || !await apiKeys.RevokeAsync(caller.UserId, id, context.CancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"API key '{Echo.Short(request.Id)}' not found.");
        }

        LogKeyRevoked(logger, caller.Email, id);
        var keys = await identities.ListApiKeysAsync(caller.UserId, context.CancellationToken).ConfigureAwait(false);
        return ToProto(keys.First(k => k.Id == id));
    }

    internal static Protos.V1.User ToProto(User user) => new()
    {
        Id = user.Id.ToString(), Email = user.Email, TenantId = user.TenantId.ToString(), Tenant = user.TenantName,
        Role = ToProto(user.Role), CreatedAt = Timestamp.FromDateTimeOffset(user.CreatedAt),
    };

    internal static ProtoRole ToProto(Storage.Identity.Role role) => role == Storage.Identity.Role.Admin ? ProtoRole.Admin : ProtoRole.Developer;

    private static Protos.V1.ApiKey ToProto(Storage.Identity.ApiKey key) => new()
    {
        Id = key.Id.ToString(), Name = key.Name, CreatedAt = Timestamp.FromDateTimeOffset(key.CreatedAt),
        ExpiresAt = key.ExpiresAt is { } e ? Timestamp.FromDateTimeOffset(e) : null,
        RevokedAt = key.RevokedAt is { } r ? Timestamp.FromDateTimeOffset(r) : null,
        LastUsedAt = key.LastUsedAt is { } u ? Timestamp.FromDateTimeOffset(u) : null,
    };

    private static async Task<User> CreateOrConflictAsync(Func<Task<User>> create)
    {
        try
        {
            return await create().ConfigureAwait(false);
        }
        catch (IdentityConflictException e)
        {
            throw new AlreadyExistsException(e.Message);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Registered {Email} with tenant {Tenant}")]
    private static partial void LogRegistered(ILogger logger, string email, string tenant);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Failed login from {Address}")]
    private static partial void LogLoginFailed(ILogger logger, string address);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Login refused: too many failures (from {Address})")]
    private static partial void LogLoginThrottled(ILogger logger, string address);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{Email} logged out everywhere")]
    private static partial void LogLoggedOut(ILogger logger, string email);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Email} created API key {KeyId}")]
    private static partial void LogKeyCreated(ILogger logger, string email, Guid keyId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Email} revoked API key {KeyId}")]
    private static partial void LogKeyRevoked(ILogger logger, string email, Guid keyId);
}
