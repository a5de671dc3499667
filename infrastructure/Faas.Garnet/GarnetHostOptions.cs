using System.ComponentModel.DataAnnotations;

namespace Faas.Garnet;

/// <summary>Where the server listens and keeps its data, bound from the <c>Garnet</c> section (the AppHost sets them).</summary>
public sealed class GarnetHostOptions
{
    public const string SectionName = "Garnet";

    /// <summary>Loopback address to listen on.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Folder of the append-only file: every write is committed to it before it is acknowledged and replayed at the next
    /// start, so acknowledged data survives a restart. Empty: memory only.
    /// </summary>
    public string? DataDirectory { get; set; }
}
