using Faas.SinkManager.Auth;
using Faas.SinkManager.Membership;
using Faas.Storage;

namespace Faas.SinkManager.Extensions;

public static class Extensions
{
    /// <summary>Largest message: a task's payload of up to 16 MiB plus its function.</summary>
    private const int MaxMessageBytes = 17 * 1024 * 1024;

    public static IHostApplicationBuilder AddSinkManagerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SinkManagerOptions>().BindConfiguration(SinkManagerOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.SigningKey) || !string.IsNullOrWhiteSpace(o.SigningKeyFile),
                "Sink tokens need a signing key: set SinkManager:SigningKey (base64, at least 32 bytes) or SinkManager:SigningKeyFile.")
            .Validate(o => o.OfflineAfter > o.HeartbeatInterval, "SinkManager:OfflineAfter must be longer than SinkManager:HeartbeatInterval.")
            .ValidateOnStart();

        builder.AddFaasDatabase();
        builder.AddFunctionSecrets();
        builder.AddDatabaseMigrations();
        builder.AddSinkAuthentication();
        builder.Services.AddHostedService<BootstrapCredential>();

        builder.Services.AddSingleton<SinkRegistry>();
        builder.Services.AddHostedService<SinkSweeper>();

        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.MaxSendMessageSize = MaxMessageBytes;
        }).AddJsonTranscoding();
        return builder;
    }
}
