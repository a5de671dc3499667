using System.Globalization;

namespace Faas.AppHost.Postgres;

/// <summary>The PostgreSQL server programs the AppHost uses (initdb, pg_ctl).</summary>
internal sealed record PostgresBinaries(string Directory)
{
    private const string DebianRoot = "/usr/lib/postgresql";

    public string InitDb => Path.Combine(Directory, "initdb");

    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    public string Server => Path.Combine(Directory, "postgres");

    /// <summary>The configured folder, else the highest <c>/usr/lib/postgresql/N/bin</c>, else pg_ctl's folder on PATH.</summary>
    public static PostgresBinaries? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return HasServerPrograms(configured) ? new PostgresBinaries(configured) : null;
        }

        if (System.IO.Directory.Exists(DebianRoot))
        {
            var highest = System.IO.Directory.GetDirectories(DebianRoot)
                .Select(d => (Bin: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
                .Where(v => v.Version is not null && HasServerPrograms(v.Bin))
                .OrderByDescending(v => v.Version)
                .Select(v => v.Bin)
                .FirstOrDefault();
            if (highest is not null)
            {
                return new PostgresBinaries(highest);
            }
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = new FileInfo(Path.Combine(folder, "pg_ctl"));
            if (!pgCtl.Exists)
            {
                continue;
            }

            var target = pgCtl.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? pgCtl.FullName;
            var bin = Path.GetDirectoryName(target)!;
            if (HasServerPrograms(bin))
            {
                return new PostgresBinaries(bin);
            }
        }

        return null;
    }

    private static bool HasServerPrograms(string folder) =>
        File.Exists(Path.Combine(folder, "pg_ctl")) && File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "postgres"));

    private static decimal? ParseVersion(string name) =>
        decimal.TryParse(name, NumberStyles.Number, CultureInfo.InvariantCulture, out var version) ? version : null;
}
