using System.Text.Json;
using System.Text.Json.Serialization;

namespace Faas.Cli;

/// <summary>
/// What <c>faas login</c> stores: the gateway's gRPC address and the credential (an API key or a login token), in a
/// per-user file readable by its owner only (<c>$XDG_CONFIG_HOME/faas/config.json</c>, else
/// <c>~/.config/faas/config.json</c>; <c>FAAS_CONFIG</c> names another).
/// </summary>
public sealed class CliSettings
{
    public string? Url { get; set; }

    public string? Token { get; set; }

    /// <summary>Who the credential is, as the gateway said at login (shown by <c>faas login --show</c>).</summary>
    public string? Email { get; set; }

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("FAAS_CONFIG") is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }

        var root = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "faas", "config.json");
    }

    public static CliSettings Load(string path)
    {
        if (!File.Exists(path))
        {
            return new CliSettings();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CliJson.Default.CliSettings) ?? new CliSettings();
        }
        catch (JsonException ex)
        {
            throw new CliException($"The settings file {path} is not valid JSON ({ex.Message}); run `faas login` again or delete it.", ExitCodes.Usage);
        }
    }

    /// <summary>Writes the file with mode 0600 from the start: the credential is never readable by others, even briefly.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, CliJson.Default.CliSettings);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliSettings))]
internal sealed partial class CliJson : JsonSerializerContext;
