using Grpc.Core;
using Grpc.Net.Client;

namespace Faas.Cli;

/// <summary>How the output is written: tables for people, JSON for scripts.</summary>
public enum OutputFormat
{
    Table,
    Json,
}

/// <summary>
/// Where the gateway is and who is calling, from (first found) the command line, <c>FAAS_URL</c> / <c>FAAS_TOKEN</c>,
/// the settings <c>faas login</c> stored, and, for a mesh run from a checkout, <c>.faas/admin.key</c> in the current
/// folder or one above it.
/// </summary>
public sealed class CliContext : IDisposable
{
    public const string DefaultUrl = "http://127.0.0.1:8081";

    private GrpcChannel? channel;

    public CliContext(string? url, OutputFormat output, string settingsPath)
    {
        SettingsPath = settingsPath;
        Settings = CliSettings.Load(settingsPath);
        Url = url is { Length: > 0 } ? url
            : Environment.GetEnvironmentVariable("FAAS_URL") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : Settings.Url ?? DefaultUrl;

        Output = output;
        Token = Environment.GetEnvironmentVariable("FAAS_TOKEN") is { Length: > 0 } token ? token : Settings.Token ?? LocalAdminKey();
    }

    public string SettingsPath { get; }

    public CliSettings Settings { get; }

    public string Url { get; }

    public string? Token { get; }

    public OutputFormat Output { get; }

    /// <summary>The gateway's gRPC channel, with the credential on every call.</summary>
    public GrpcChannel Channel => channel ??= Open(Url, Token);

    public static GrpcChannel Open(string url, string? token)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{url}' is not a gateway address; give one such as {DefaultUrl} (the gateway's gRPC port).", ExitCodes.Usage);
        }

        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 };
        if (token is { Length: > 0 })
        {
            var header = "Bearer " + token;
            options.Credentials = ChannelCredentials.Create(
                address.Scheme == "https" ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
                CallCredentials.FromInterceptor((_, metadata) =>
                {
                    metadata.Add("authorization", header);
                    return Task.CompletedTask;
                }));
            options.UnsafeUseInsecureChannelCallCredentials = address.Scheme == "http";
        }

        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>The administrator's key a mesh started from this checkout wrote, if the current folder is in one.</summary>
    public static string? LocalAdminKey()
    {
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            var key = Path.Combine(folder.FullName, ".faas", "admin.key");
            if (File.Exists(key))
            {
                return File.ReadAllText(key).Trim();
            }
        }

        return null;
    }

    public void Dispose() => channel?.Dispose();
}
