using System.Text;

namespace Faas.Storage.Postgres;

/// <summary>Keyset paging tokens: the last key of a page, base64url-encoded so clients treat it as opaque.</summary>
internal static class PageToken
{
    /// <summary>Longer than any token a store makes (a name, a number or a UUID, encoded).</summary>
    private const int MaxLength = 512;

    public static string Encode(string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        if (token.Length > MaxLength)
        {
            throw new InvalidPageTokenException();
        }

        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        try
        {
            var key = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            // No key a store makes holds a NUL, and PostgreSQL text cannot.
            return key.Contains('\0', StringComparison.Ordinal) ? throw new InvalidPageTokenException() : key;
        }
        catch (FormatException)
        {
            throw new InvalidPageTokenException();
        }
    }
}

public sealed class InvalidPageTokenException() : Exception("The page token is not valid.");
