using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Faas.EndToEnd.Tests;

/// <summary>Source archives as a user's <c>tar czf</c> makes them, including the kinds the platform must refuse.</summary>
internal static class TarGz
{
    public static byte[] Files(params (string Name, string Content)[] files) =>
        Create(writer =>
        {
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        });

    public static byte[] WithSymlink(string name, string target, params (string Name, string Content)[] files) =>
        Create(writer =>
        {
            foreach (var (file, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, file) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }

            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
        });

    private static byte[] Create(Action<TarWriter> write)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return output.ToArray();
    }
}
