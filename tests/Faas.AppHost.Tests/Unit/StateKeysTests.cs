using System.Runtime.Versioning;
using Faas.AppHost.Hosting;


namespace Faas.AppHost.Tests.Unit;

[UnsupportedOSPlatform("windows")]
public sealed class StateKeysTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("faas-state-");

    [Fact]
    public void First_start_generates_owner_only_keys_and_later_starts_keep_them()
    {
        var state = new StateLayout(root.FullName);

        StateKeys.Ensure(state);
        var serviceKey = File.ReadAllText(state.ServiceKeyFile);
        var userKey = File.ReadAllText(state.UserTokenKeyFile);
        StateKeys.Ensure(state);

        Assert.Equal(64, Convert.FromBase64String(serviceKey).Length);
        Assert.NotEqual(serviceKey, userKey);
        Assert.Equal(serviceKey, File.ReadAllText(state.ServiceKeyFile));
        Assert.Equal(userKey, File.ReadAllText(state.UserTokenKeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(state.ServiceKeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(state.UserTokenKeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state.Secrets));
        Assert.True(Directory.Exists(state.DataProtectionKeys));
    }

    public void Dispose() => root.Delete(recursive: true);
}
