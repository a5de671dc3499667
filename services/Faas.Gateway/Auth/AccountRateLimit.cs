using System.Threading.RateLimiting;
using Faas.ServiceDefaults.Errors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using StatusCode = Grpc.Core.StatusCode;

namespace Faas.Gateway.Auth;

/// <summary>
/// Registration and login, which cost a bcrypt hash each, go through ASP.NET Core's rate limiter: a token bucket per
/// client address chained to one for the whole gateway (<see cref="AuthOptions.AccountRequestsPerAddress"/>,
/// <see cref="AuthOptions.AccountRequestsPerGateway"/>). Over either: RESOURCE_EXHAUSTED, HTTP 429, with Retry-After.
/// The methods opt in with <c>[EnableRateLimiting(AccountRateLimit.Policy)]</c>.
/// </summary>
public sealed partial class AccountRateLimit : IRateLimiterPolicy<string>, IDisposable
{
    public const string Policy = "accounts";

    private readonly AuthOptions options;
    private readonly ILogger<AccountRateLimit> logger;
    private readonly RateLimiter gateway;

    public AccountRateLimit(IOptions<AuthOptions> options, ILogger<AccountRateLimit> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        gateway = new TokenBucketRateLimiter(Bucket(this.options.AccountRequestsPerGateway, this.options.AccountRequestWindow));
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.Get(
            httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new AddressRateLimiter(new TokenBucketRateLimiter(Bucket(options.AccountRequestsPerAddress, options.AccountRequestWindow)), gateway));

    public void Dispose() => gateway.Dispose();

    private ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.AccountRequestWindow;
        var address = rejected.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        LogRejected(logger, address);
        return new ValueTask(ErrorResponse.WriteAsync(
            rejected.HttpContext, StatusCode.ResourceExhausted, StatusCodes.Status429TooManyRequests,
            $"Too many sign-ups and logins from this address or on this gateway; try again in {Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0} s.", wait));
    }

    /// <summary>
    /// <paramref name="permits"/> per <paramref name="window"/>, all of them at once when unused, given back one at a time
    /// (so a refusal knows when the next permit comes: its Retry-After).
    /// </summary>
    private static TokenBucketRateLimiterOptions Bucket(int permits, TimeSpan window) => new()
    {
        TokenLimit = permits,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(window.Ticks / permits, TimeSpan.TicksPerMillisecond)),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Registration or login refused: too many from {Address} or on this gateway")]
    private static partial void LogRejected(ILogger logger, string address);
}
