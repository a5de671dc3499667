using System.Text;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>What the security tests send and what they require of every error they get back.</summary>
internal static class ErrorBodies
{
    /// <summary>An error meant for the caller, not a crash report: no exception names, no stack frames.</summary>
    public static void AssertNoExceptionText(string text)
    {
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
