using System.Text;
using System.Net;

namespace Faas.AppHost.Dashboard;

/// <summary>HTML building blocks of the dashboard; every value goes through <see cref="Encode"/>.</summary>
internal static class Html
{
    public static string Encode(string? value) => WebUtility.HtmlEncode(value ?? "");

    public static string Page(string title, string body, int refreshSeconds)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append($"<meta http-equiv=\"refresh\" content=\"{refreshSeconds}\">")
            .Append("<title>").Append(Encode(title)).Append("</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<header><a class=\"brand\" href=\"/\">Faas</a><span class=\"sub\">local AppHost</span>")
            .Append("<nav><a href=\"/\">Resources</a><a href=\"/api/resources\">JSON</a></nav></header><main>")
            .Append(body)
            .Append("</main></body></html>");
        return page.ToString();
    }

    private const string Style = """
        :root { color-scheme: light; --ink:#1f2430; --muted:#6b7280; --line:#e5e7eb; --bg:#f7f8fa; }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
        header { display:flex; align-items:baseline; gap:12px; padding:14px 24px; background:#1f2430; color:#fff; }
        header a { color:#fff; text-decoration:none; }
        .brand { font-weight:700; font-size:18px; letter-spacing:.5px; }
        .sub { color:#aab; }
        nav { margin-left:auto; display:flex; gap:16px; }
        main { padding:20px 24px; max-width:1280px; }
        h1 { font-size:20px; margin:0 0 4px; }
        .summary { color:var(--muted); margin:0 0 16px; }
        table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:6px; overflow:hidden; }
        th, td { text-align:left; padding:8px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { background:#f1f3f6; font-weight:600; color:#374151; font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
        tr:last-child td { border-bottom:none; }
        td.num { font-variant-numeric: tabular-nums; }
        a { color:#2563eb; }
        .badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
        .ok { background:#dcfce7; color:#166534; } .warn { background:#fef9c3; color:#854d0e; }
        .bad { background:#fee2e2; color:#991b1b; } .idle { background:#e5e7eb; color:#374151; }
        .endpoints div { white-space:nowrap; }
        .muted { color:var(--muted); }
        pre.log { background:#0f172a; color:#e2e8f0; padding:12px; border-radius:6px; overflow:auto; font:12px/1.4 ui-monospace, Menlo, Consolas, monospace; white-space:pre-wrap; word-break:break-all; }
        dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; background:#fff; border:1px solid var(--line); border-radius:6px; padding:12px 16px; }
        dt { color:var(--muted); } dd { margin:0; }
        h2 { font-size:16px; margin:20px 0 8px; }
        code { font:12px ui-monospace, Menlo, Consolas, monospace; }
        """;
}
