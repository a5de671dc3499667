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
    /// Folder of the append-only file: every write is committed to it as it is executed, and the file is replayed at the
    /// next start. Garnet may answer a write just before its commit is written; the reliable queue answers an enqueue only
    /// after a <c>COMMITAOF</c>, so an acknowledged enqueue survives a kill. Empty: memory only.
    /// </summary>
    public string? DataDirectory { get; set; }
}
