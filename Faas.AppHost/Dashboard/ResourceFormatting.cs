using System.Globalization;
using System.Text;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Dashboard;

/// <summary>How resource facts look on the dashboard (all output HTML-encoded).</summary>
internal static class ResourceFormatting
{
    public static string StateBadge(ResourceState state) => Badge(state.ToString(), state switch
    {
        ResourceState.Running => "ok",
        ResourceState.Starting or ResourceState.Stopping or ResourceState.Waiting => "warn",
        ResourceState.Exited or ResourceState.FailedToStart => "bad",
        _ => "idle",
    });

    public static string HealthBadge(HealthStatus health) => Badge(health.ToString(), health switch
    {
        HealthStatus.Healthy => "ok",
        HealthStatus.Unhealthy => "bad",
        _ => "idle",
    });

    public static string Pid(ResourceSnapshot resource) =>
        resource.Pid is { } pid ? pid.ToString(CultureInfo.InvariantCulture) : "<span class=\"muted\">–</span>";

    public static string Endpoints(IEnumerable<ResourceEndpoint> endpoints)
    {
        var html = new StringBuilder("<div class=\"endpoints\">");
        foreach (var endpoint in endpoints)
        {
            var url = Html.Encode(endpoint.Url);
            var link = endpoint.Url.StartsWith("http://", StringComparison.Ordinal) || endpoint.Url.StartsWith("https://", StringComparison.Ordinal)
                ? $"<a href=\"{url}\">{url}</a>"
                : $"<code>{url}</code>";
            html.Append("<div><span class=\"muted\">").Append(Html.Encode(endpoint.Name)).Append("</span> ").Append(link).Append("</div>");
        }

        return html.Append("</div>").ToString();
    }

    public static string Started(ResourceSnapshot resource) =>
        resource.StartedAt is { } at ? Html.Encode(at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)) : "–";

    public static string ResourceLink(string name) =>
        $"<a href=\"/resources/{Uri.EscapeDataString(name)}\">{Html.Encode(name)}</a>";

    private static string Badge(string text, string css) => $"<span class=\"badge {css}\">{Html.Encode(text)}</span>";
}
