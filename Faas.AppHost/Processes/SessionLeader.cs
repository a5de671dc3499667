namespace Faas.AppHost.Processes;

/// <summary>util-linux <c>setsid</c>, which starts a program in a new session without forking.</summary>
internal static class SessionLeader
{
    public static string? Path { get; } = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
}
