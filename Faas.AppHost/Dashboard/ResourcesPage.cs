using System.Text;
using Faas.AppHost.Resources;
using static Faas.AppHost.Dashboard.ResourceFormatting;

namespace Faas.AppHost.Dashboard;

/// <summary>The dashboard's front page: one row per resource.</summary>
internal static class ResourcesPage
{
    public static string Render(
        IReadOnlyList<ResourceSnapshot> resources, IReadOnlyList<ToolchainRow>? toolchains = null, bool hasCompiler = false, JobModeRow? jobs = null,
        (IReadOnlyList<SinkRow>? Rows, string Problem)? sinks = null)
    {
        var healthy = resources.Count(r => r.IsHealthy);
        var body = new StringBuilder()
            .Append("<h1>Resources</h1>")
            .Append($"<p class=\"summary\">{resources.Count} resources · {healthy} healthy · refreshes every 2 s</p>")
            .Append("<table><thead><tr><th>Resource</th><th>Kind</th><th>State</th><th>Health</th><th>PID</th>")
            .Append("<th>Endpoints</th><th>Restarts</th><th>Started</th><th>Log</th></tr></thead><tbody>");

        foreach (var resource in resources)
        {
            body.Append("<tr>")
                .Append("<td>").Append(ResourceLink(resource.Name)).Append("</td>")
                .Append("<td>").Append(Html.Encode(resource.Kind)).Append("</td>")
                .Append("<td>").Append(StateBadge(resource.State)).Append("</td>")
                .Append("<td>").Append(HealthBadge(resource.Health)).Append("</td>")
                .Append("<td class=\"num\">").Append(Pid(resource)).Append("</td>")
                .Append("<td>").Append(Endpoints(resource.Endpoints)).Append("</td>")
                .Append("<td class=\"num\">").Append(resource.Restarts).Append("</td>")
                .Append("<td class=\"num\">").Append(Started(resource)).Append("</td>")
                .Append($"<td><a href=\"/resources/{Uri.EscapeDataString(resource.Name)}\">last lines</a></td>")
                .Append("</tr>");
        }

        body.Append("</tbody></table>");
        if (hasCompiler)
        {
            body.Append(ToolchainsSection(toolchains));
        }

        if (sinks is { } sinkStatus)
        {
            body.Append(SinksSection(sinkStatus.Rows, sinkStatus.Problem));
        }

        if (jobs is not null)
        {
            body.Append(JobModeSection(jobs));
        }

        return Html.Page("Faas · resources", body.ToString(), refreshSeconds: 2);
    }

    /// <summary>The languages the compiler can build; "unknown" while the gateway or the compiler cannot say.</summary>
    public static string ToolchainsSection(IReadOnlyList<ToolchainRow>? toolchains)
    {
        var html = new StringBuilder("<h2>Toolchains</h2>");
        if (toolchains is null)
        {
            return html.Append("<p class=\"muted\">Unknown: the gateway or the compiler is not answering yet.</p>").ToString();
        }

        html.Append("<table><thead><tr><th>Language</th><th>Status</th><th>Version or what to install</th></tr></thead><tbody>");
        foreach (var toolchain in toolchains)
        {
            html.Append("<tr><td><code>").Append(Html.Encode(toolchain.Language)).Append("</code></td><td>")
                .Append(toolchain.Available ? "<span class=\"badge ok\">available</span>" : "<span class=\"badge bad\">unavailable</span>")
                .Append("</td><td>").Append(Html.Encode(toolchain.Available ? toolchain.Version : toolchain.Description)).Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>Every sink with its state, capacity, load and last heartbeat; why not when unknown.</summary>
    public static string SinksSection(IReadOnlyList<SinkRow>? sinks, string problem)
    {
        var html = new StringBuilder("<h2>Sinks</h2>");
        if (sinks is null)
        {
            return html.Append("<p class=\"muted\">Unknown: ").Append(Html.Encode(problem)).Append(".</p>").ToString();
        }

        html.Append("<table><thead><tr><th>Sink</th><th>State</th><th>Work</th><th>Runtimes</th><th>Slots</th><th>Memory</th>")
            .Append("<th>CPU</th><th>In flight</th><th>Held</th><th>Warm modules</th><th>Last heartbeat</th></tr></thead><tbody>");
        var now = DateTimeOffset.UtcNow;
        foreach (var sink in sinks)
        {
            var badge = sink.State switch
            {
                "ONLINE" => "ok",
                "DRAINING" => "",
                _ => "bad",
            };
            html.Append("<tr><td>").Append(Html.Encode(sink.Name)).Append("</td>")
                .Append("<td><span class=\"badge ").Append(badge).Append("\">").Append(Html.Encode(sink.State.ToLowerInvariant())).Append("</span></td>")
                .Append("<td>").Append(Html.Encode(sink.Mode)).Append("</td>")
                .Append("<td>").Append(Html.Encode(sink.Runtimes)).Append("</td>")
                .Append("<td class=\"num\">").Append(sink.Slots).Append("</td>")
                .Append("<td class=\"num\">").Append(sink.MemoryMb).Append(" MB</td>")
                .Append("<td class=\"num\">").Append((sink.Cpu * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture)).Append(" %</td>")
                .Append("<td class=\"num\">").Append(sink.InFlight).Append("</td>")
                .Append("<td class=\"num\">").Append(sink.TasksHeld).Append("</td>")
                .Append("<td class=\"num\">").Append(sink.WarmModules).Append("</td>")
                .Append("<td class=\"num\">").Append(sink.LastHeartbeatAt is { } at ? $"{Math.Max(0, (now - at).TotalSeconds):0.0} s ago" : "").Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>Whether JOB-mode functions can run here, and if not, why.</summary>
    public static string JobModeSection(JobModeRow jobs)
    {
        var badge = jobs.Available switch
        {
            true => "<span class=\"badge ok\">available</span>",
            false => "<span class=\"badge bad\">unavailable</span>",
            null => "<span class=\"badge\">unknown</span>",
        };
        return new StringBuilder("<h2>JOB mode</h2><table><tbody>")
            .Append("<tr><td>Launcher</td><td>").Append(badge).Append("</td><td>").Append(Html.Encode(jobs.Launcher)).Append("</td></tr>")
            .Append("<tr><td>One-shot runtime</td><td></td><td>").Append(Html.Encode(jobs.Runtime)).Append("</td></tr>")
            .Append("</tbody></table>").ToString();
    }
}
