using System.Text;
using System.Text.RegularExpressions;
using Faas.AppHost.Resources;
using static Faas.AppHost.Dashboard.ResourceFormatting;

namespace Faas.AppHost.Dashboard;

/// <summary>One resource: its facts, the environment it was given, and the tail of its log.</summary>
internal static partial class ResourceDetailPage
{
    public const int LogLines = 50;

    public static string Render(ResourceSnapshot resource, IReadOnlyList<string> logTail, IReadOnlyDictionary<string, string>? environment)
    {
        var body = new StringBuilder()
            .Append("<h1>").Append(Html.Encode(resource.Name)).Append("</h1>")
            .Append("<p class=\"summary\">").Append(Html.Encode(resource.Kind)).Append(" · refreshes every 2 s</p><dl>")
            .Append("<dt>State</dt><dd>").Append(StateBadge(resource.State)).Append("</dd>")
            .Append("<dt>Health</dt><dd>").Append(HealthBadge(resource.Health)).Append("</dd>")
            .Append("<dt>PID</dt><dd>").Append(Pid(resource)).Append("</dd>")
            .Append("<dt>Restarts</dt><dd>").Append(resource.Restarts).Append("</dd>")
            .Append("<dt>Last exit code</dt><dd>").Append(resource.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "–").Append("</dd>")
            .Append("<dt>Started</dt><dd>").Append(Started(resource)).Append("</dd>")
            .Append("<dt>Endpoints</dt><dd>").Append(Endpoints(resource.Endpoints)).Append("</dd>")
            .Append("<dt>Log file</dt><dd><code>").Append(Html.Encode(resource.LogPath)).Append("</code></dd></dl>");

        if (environment is { Count: > 0 })
        {
            body.Append("<h2>Environment set by the AppHost</h2><table><tbody>");
            foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                body.Append("<tr><td><code>").Append(Html.Encode(key)).Append("</code></td><td><code>")
                    .Append(Html.Encode(MaskSecrets(value))).Append("</code></td></tr>");
            }

            body.Append("</tbody></table>");
        }

        body.Append($"<h2>Last {LogLines} log lines</h2><pre class=\"log\">");
        body.Append(logTail.Count == 0 ? "(nothing logged yet)" : Html.Encode(string.Join('\n', logTail)));
        body.Append("</pre>");
        return Html.Page($"Faas · {resource.Name}", body.ToString(), refreshSeconds: 2);
    }

    public static string RenderNotFound(string name) =>
        Html.Page("Faas · not found", $"<h1>No resource named {Html.Encode(name)}</h1><p><a href=\"/\">All resources</a></p>", refreshSeconds: 10);

    /// <summary>External connection strings may carry passwords; the page never shows them.</summary>
    public static string MaskSecrets(string value) => PasswordPattern().Replace(value, m => m.Groups[1].Value + "=*****");

    [GeneratedRegex(@"\b(password|pwd)\s*=\s*[^;]*", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordPattern();
}
