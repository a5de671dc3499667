using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>Reads HMAC keys from settings: the key itself (base64) or a file that holds it.</summary>
public static class ServiceKey
{
    public const int MinimumBytes = 32;

    /// <summary>The shared service key.</summary>
    public static SymmetricSecurityKey Load(ServiceAuthOptions options) => Load(
        options.Key, options.KeyFile, $"{ServiceAuthOptions.SectionName}:Key", $"{ServiceAuthOptions.SectionName}:KeyFile", "faas-service",
        "Calls between Faas services are authenticated", "The AppHost sets them for the services it starts.");

    /// <summary>
    /// A key given as <paramref name="key"/> (base64) or in <paramref name="keyFile"/>, at least <see cref="MinimumBytes"/> bytes;
    /// a missing, malformed or short key is an error naming the settings.
    /// </summary>
    public static SymmetricSecurityKey Load(
        string? key, string? keyFile, string keySetting, string fileSetting, string keyId, string purpose, string hint)
    {
        string text;
        string origin;
        if (!string.IsNullOrWhiteSpace(key))
        {
            text = key;
            origin = keySetting;
        }
        else if (!string.IsNullOrWhiteSpace(keyFile))
        {
            if (!File.Exists(keyFile))
            {
                throw new InvalidOperationException($"{fileSetting} '{keyFile}' does not exist.");
            }

            text = File.ReadAllText(keyFile, Encoding.UTF8);
            origin = $"the file {keyFile}";
        }
        else
        {
            throw new InvalidOperationException($"{purpose}: set {keySetting} (base64, at least {MinimumBytes} bytes) or {fileSetting}. {hint}");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The key in {origin} is not base64.");
        }

        return bytes.Length < MinimumBytes
            ? throw new InvalidOperationException($"The key in {origin} has {bytes.Length} bytes; at least {MinimumBytes} are needed.")
            : new SymmetricSecurityKey(bytes) { KeyId = keyId };
    }

    /// <summary>A new random key in the form the options take.</summary>
    public static string Generate() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MinimumBytes * 2));
}
