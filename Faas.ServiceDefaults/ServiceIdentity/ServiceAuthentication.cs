using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Service identity: every Faas service signs its calls to the others (<see cref="ServiceTokens"/>), and the
/// internal services accept a call only with a valid service token (<see cref="Policy"/>).
/// </summary>
public static class ServiceAuthentication
{
    /// <summary>The authentication scheme of service tokens.</summary>
    public const string Scheme = "Service";

    /// <summary>The authorization policy that admits only other Faas services.</summary>
    public const string Policy = "FaasService";

    /// <summary>Registers the service key, the token minting and the <see cref="Scheme"/> scheme with its <see cref="Policy"/>.</summary>
    public static TBuilder AddServiceAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ServiceAuthOptions>().BindConfiguration(ServiceAuthOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Key) || !string.IsNullOrWhiteSpace(o.KeyFile),
                $"Calls between Faas services are authenticated: set {ServiceAuthOptions.SectionName}:Key or {ServiceAuthOptions.SectionName}:KeyFile.")
            .Validate(o => o.TokenLifetime >= TimeSpan.FromMinutes(1), $"{ServiceAuthOptions.SectionName}:TokenLifetime must be at least a minute.")
            .ValidateOnStart();
        builder.Services.TryAddSingletonTimeProvider();
        builder.Services.AddSingleton<ServiceTokens>();
        builder.Services.AddTransient<ServiceTokenHandler>();

        builder.Services.AddSingleton<ServiceTokenValidator>();
        // The default scheme (a public edge sets its own): requests are authenticated once, by the middleware.
        builder.Services.AddAuthentication(Scheme)
            .AddScheme<AuthenticationSchemeOptions, ServiceTokenAuthenticationHandler>(Scheme, _ => { });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.RequireAuthenticatedUser().RequireClaim("aud", ServiceAuthOptions.Audience));
        return builder;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
