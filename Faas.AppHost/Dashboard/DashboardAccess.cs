using System.Security.Cryptography;
using System.Text;

namespace Faas.AppHost.Dashboard;

/// <summary>
/// The dashboard's credential: a token made at start and shown only in the AppHost's console, as a login link. The
/// link sets a cookie the browser sends back only to this site (SameSite=Strict, HttpOnly); scripts and tests send
/// the token as a bearer. Every page and API of the dashboard needs one or the other, so neither another local
/// process, nor a web page the operator visits, nor a callback aimed at it can read the environment of a service or
/// restart one.
/// </summary>
public sealed class DashboardAccess
{
    public const string CookieName = "faas-dashboard";
    private const string LoginPath = "/login";

    private readonly byte[] expected;

    public DashboardAccess()
        : this(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'))
    {
    }

    public DashboardAccess(string token)
    {
        Token = token;
        expected = Encoding.UTF8.GetBytes(token);
    }

    public string Token { get; }

    /// <summary>The link that signs a browser in.</summary>
    public Uri LoginUri(Uri dashboard) => new(dashboard, $"{LoginPath}?t={Token}");

    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        return (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization["Bearer ".Length..]))
            || (request.Cookies.TryGetValue(CookieName, out var cookie) && Matches(cookie));
    }

    /// <summary>Puts the check in front of every dashboard route; <c>/login?t=</c> trades the token for the cookie.</summary>
    public void Protect(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals(LoginPath, StringComparison.Ordinal) && Matches(context.Request.Query["t"].ToString()))
            {
                context.Response.Cookies.Append(CookieName, Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
                context.Response.Redirect("/");
                return;
            }

            if (!Allows(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("Open the dashboard through the login link the AppHost printed when it started.").ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    private bool Matches(string? presented) =>
        presented is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected);
}
