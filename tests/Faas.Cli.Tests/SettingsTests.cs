
namespace Faas.Cli.Tests;

public sealed class SettingsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("faas-settings-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Saved_settings_are_readable_by_their_owner_only_and_read_back()
    {
        var path = Path.Combine(folder, "sub", "config.json");

        new CliSettings { Url = "http://127.0.0.1:1", Token = "faas_x", Email = "a@example.com" }.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var read = CliSettings.Load(path);
        Assert.Equal(("http://127.0.0.1:1", "faas_x", "a@example.com"), (read.Url, read.Token, read.Email));
    }

    [Fact]
    public void Missing_settings_are_empty_and_broken_ones_say_what_to_do()
    {
        Assert.Null(CliSettings.Load(Path.Combine(folder, "none.json")).Token);

        var broken = Path.Combine(folder, "broken.json");
        File.WriteAllText(broken, "{ not json");
        Assert.Contains("faas login", Assert.Throws<CliException>(() => CliSettings.Load(broken)).Message);
    }
}
