using Faas.Storage.Identity;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Auth;

/// <summary>
/// First start: when the database has no administrator and <see cref="AuthOptions.BootstrapAdminKeyFile"/> is set,
/// creates the administrator (in the default tenant) and an API key, and writes the key to that file with mode 0600.
/// Runs before the gateway takes traffic, after the schema migration.
/// </summary>
public sealed partial class AdminBootstrap(
    IdentityStore identities, IOptions<AuthOptions> options, ILogger<AdminBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var keyFile = options.Value.BootstrapAdminKeyFile;
        if (string.IsNullOrWhiteSpace(keyFile) || await identities.AnyAdminAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        User admin;
        try
        {
            admin = await identities.CreateUserAsync(
                Storage.Model.Tenants.Default, options.Value.BootstrapAdminEmail, passwordHash: null, Role.Admin, cancellationToken).ConfigureAwait(false);
        }
        catch (IdentityConflictException)
        {
            // Another gateway bootstrapped at the same moment.
            return;
        }

        var (id, key, sha256) = ApiKeySecrets.Generate();
        await identities.CreateApiKeyAsync(id, admin.Id, "bootstrap", sha256, expiresAt: null, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new StreamWriter(keyFile, fileOptions))
        {
            await file.WriteLineAsync(key).ConfigureAwait(false);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        LogBootstrapped(logger, admin.Email, keyFile);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Created the administrator {Email}; their API key is in {KeyFile}")]
    private static partial void LogBootstrapped(ILogger logger, string email, string keyFile);
}
