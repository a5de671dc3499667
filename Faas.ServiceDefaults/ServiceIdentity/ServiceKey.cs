using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>Reads the shared service key from the options: the key itself or the file that holds it.</summary>
public static class ServiceKey
{
    public const int MinimumBytes = 32;

    public static SymmetricSecurityKey Load(ServiceAuthOptions options)
    {
        string text;
        string origin;
        if (!string.IsNullOrWhiteSpace(options.Key))
        {
            text = options.Key;
            origin = $"{ServiceAuthOptions.SectionName}:Key";
        }
        else if (!string.IsNullOrWhiteSpace(options.KeyFile))
        {
            if (!File.Exists(options.KeyFile))
            {
                throw new InvalidOperationException($"{ServiceAuthOptions.SectionName}:KeyFile '{options.KeyFile}' does not exist.");
            }

            text = File.ReadAllText(options.KeyFile, Encoding.UTF8);
            origin = $"the file {options.KeyFile}";
        }
        else
        {
            throw new InvalidOperationException(
                $"Calls between Faas services are authenticated: set {ServiceAuthOptions.SectionName}:Key (base64, at least {MinimumBytes} bytes) " +
                $"or {ServiceAuthOptions.SectionName}:KeyFile. The AppHost sets them for the services it starts.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The service key in {origin} is not base64.");
        }

        return key.Length < MinimumBytes
            ? throw new InvalidOperationException($"The service key in {origin} has {key.Length} bytes; at least {MinimumBytes} are needed.")
            : new SymmetricSecurityKey(key) { KeyId = "faas-service" };
    }

    /// <summary>A new random key in the form the options take.</summary>
    public static string Generate() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MinimumBytes * 2));
}
