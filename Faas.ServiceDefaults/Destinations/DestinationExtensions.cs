using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Faas.ServiceDefaults.Destinations;

public static class DestinationExtensions
{
    /// <summary>The callback destination policy: <see cref="CallbackDestinationOptions"/>, checked at start-up.</summary>
    public static IHostApplicationBuilder AddCallbackDestinations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CallbackDestinationOptions>().BindConfiguration(CallbackDestinationOptions.SectionName)
            .Validate(o => o.AllowedDestinations.All(e => AllowedDestination.TryParse(e, out _)),
                $"{CallbackDestinationOptions.SectionName}:AllowedDestinations holds an entry that is not an address or network with an optional port (10.0.0.0/8, 127.0.0.1:9000, [::1]:9000).")
            .ValidateOnStart();
        builder.Services.AddSingleton<DestinationPolicy>();
        return builder;
    }

    /// <summary>A primary handler that connects only where <see cref="DestinationPolicy"/> allows, and follows no redirect.</summary>
    public static SocketsHttpHandler CreateGuardedHandler(IServiceProvider services)
    {
        var policy = services.GetRequiredService<DestinationPolicy>();
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = policy.ConnectAsync,
        };
    }
}
