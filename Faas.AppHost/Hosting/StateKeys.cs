
namespace Faas.AppHost.Hosting;

/// <summary>
/// The keys a local mesh needs, generated on first start under the state directory and kept across restarts:
/// the service-token key, the user-token key, the sink-token key and the metrics token (each 64 random bytes, base64, mode 0600) in a directory only the
/// owner can enter, which also holds the Data Protection key ring.
/// </summary>
public static class StateKeys
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Ensure(StateLayout state)
    {
        CreateOwnerOnlyDirectory(state.Secrets);
        CreateOwnerOnlyDirectory(state.DataProtectionKeys);
        EnsureKeyFile(state.ServiceKeyFile);
        EnsureKeyFile(state.UserTokenKeyFile);
        EnsureKeyFile(state.SinkTokenKeyFile);
        EnsureKeyFile(state.MetricsTokenFile);
    }

    private static void CreateOwnerOnlyDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, OwnerOnlyDirectory);
        File.SetUnixFileMode(path, OwnerOnlyDirectory);
    }

    private static void EnsureKeyFile(string path)
    {
        if (File.Exists(path) && new FileInfo(path).Length > 0)
        {
            return;
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.Write(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64)));
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerOnlyFile);
        }
    }
}
