using Faas.Storage.Sinks;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Auth;

/// <summary>
/// Gives the built-in workers a credential: when <see cref="SinkManagerOptions.BootstrapCredentialFile"/> is set and
/// does not hold a live credential, creates one and writes it there (mode 0600) before the sink manager takes calls.
/// </summary>
public sealed partial class BootstrapCredential(
    SinkCredentials credentials, SinkCredentialStore store, IOptions<SinkManagerOptions> options, ILogger<BootstrapCredential> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = options.Value.BootstrapCredentialFile;
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        if (File.Exists(path)
            && SinkCredentialSecrets.TryParse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), out var id, out _)
            && await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { IsRevoked: false })
        {
            return;
        }

        // A credential of that name from before (its file lost) is replaced.
        var name = options.Value.BootstrapCredentialName;
        foreach (var old in (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Where(c => c.Name == name && !c.IsRevoked))
        {
            await credentials.RevokeAsync(old.Id, cancellationToken).ConfigureAwait(false);
        }

        var (record, credential) = await credentials.CreateAsync(name, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(temporary, fileOptions))
        {
            await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(credential), cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
        LogWritten(logger, record.Name, path);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Wrote the credential {Name} of the built-in workers to {Path}")]
    private static partial void LogWritten(ILogger logger, string name, string path);
}
