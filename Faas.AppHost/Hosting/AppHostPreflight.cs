using Faas.AppHost.Model;
using Microsoft.Extensions.Options;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Everything that can be known wrong before a single resource starts: invalid settings, ports in
/// use, services the AppHost was not built with. Throws <see cref="AppHostConfigurationException"/>.
/// </summary>
public static class AppHostPreflight
{
    public static void Run(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AppHostOptions>>().Value;
        PortPreflight.EnsurePortsAreFree(options);
        services.GetRequiredService<FaasAppModel>();
    }

    /// <summary>
    /// The user-facing reason when <paramref name="exception"/> is a settings problem (invalid or
    /// unconvertible values, ports in use, a service missing from the build); null for anything else.
    /// </summary>
    public static string? Explain(Exception exception) => exception switch
    {
        AppHostConfigurationException e => e.Message,
        OptionsValidationException e =>
            "Invalid settings:" + Environment.NewLine + string.Join(Environment.NewLine, e.Failures.Select(f => "  " + f)),
        InvalidOperationException e when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            "Invalid settings: " + e.Message,
        FormatException e => "Invalid command line: " + e.Message + Environment.NewLine + CommandLineSwitches.Usage,
        _ => null,
    };
}
