using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Faas.Compiler.Toolchains.Builds;

namespace Faas.Compiler.Tests;

public sealed class SourceArchiveTests
{
    private static readonly SourceLimits Limits = new(MaxFiles: 4, MaxBytes: 4096);

    [Theory]
    [InlineData("main.c\n")]
    [InlineData("src\n/main.c")]
    public void A_file_name_with_a_trailing_line_break_is_not_allowed(string name) =>
        Assert.NotNull(SourceSetValidator.CheckName(name));

    [Fact]
    public void Files_come_out_by_relative_name_with_folders_implied()
    {
        var archive = TarGz(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./src/"));
            File(w, "./src/main.c", "int main(void) { return 0; }\n");
            File(w, "include/x.h", "#define X 1\n");
        });

        var result = SourceArchive.Read(archive, Limits);

        Assert.Null(result.Problem);
        Assert.Equal(["include/x.h", "src/main.c"], result.Files!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("#define X 1\n", result.Files["include/x.h"]);
    }

    [Theory]
    [InlineData("../escape.c")]
    [InlineData("src/../../escape.c")]
    [InlineData("/etc/escape.c")]
    [InlineData(".hidden.c")]
    [InlineData("a/b/c/d/e/too-deep.c")]
    public void A_name_that_could_leave_the_scratch_directory_is_refused(string name)
    {
        var result = SourceArchive.Read(TarGz(w => File(w, name, "int x;\n")), Limits);

        Assert.Null(result.Files);
        Assert.Contains("not allowed", result.Problem!.Message);
        Assert.False(result.Problem.IsTooLarge);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "symbolic link")]
    [InlineData(TarEntryType.HardLink, "hard link")]
    public void Links_are_refused(TarEntryType type, string described)
    {
        var archive = TarGz(w => w.WriteEntry(new PaxTarEntry(type, "main.c") { LinkName = "/etc/passwd" }));

        var result = SourceArchive.Read(archive, Limits);

        Assert.Contains(described, result.Problem!.Message);
    }

    [Fact]
    public void Devices_and_fifos_are_refused()
    {
        var fifo = SourceArchive.Read(TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"))), Limits);
        var device = SourceArchive.Read(TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "null"))), Limits);

        Assert.Contains("FIFO", fifo.Problem!.Message);
        Assert.Contains("device", device.Problem!.Message);
    }

    [Fact]
    public void More_files_than_allowed_are_refused_as_too_large()
    {
        var result = SourceArchive.Read(TarGz(w =>
        {
            for (var i = 0; i < 5; i++)
            {
                File(w, $"f{i}.c", "");
            }
        }), Limits);

        Assert.True(result.Problem!.IsTooLarge);
        Assert.Contains("at most 4 source files", result.Problem.Message);
    }

    [Fact]
    public void An_archive_that_expands_beyond_the_limit_is_cut_off_while_decompressing()
    {
        var archive = TarGz(w => File(w, "big.c", new string(' ', 2 * 1024 * 1024)));
        Assert.True(archive.Length < Limits.MaxBytes, "the bomb itself is small");

        var result = SourceArchive.Read(archive, Limits);

        Assert.True(result.Problem!.IsTooLarge);
        Assert.Contains("limit", result.Problem.Message);
    }

    [Fact]
    public void A_compressed_archive_over_the_limit_is_refused_before_reading()
    {
        var result = SourceArchive.Read(new byte[Limits.MaxBytes + 1], Limits);

        Assert.True(result.Problem!.IsTooLarge);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "gzip")]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3 }, "valid tar.gz")]
    public void Bytes_that_are_not_a_tar_gz_are_refused(byte[] bytes, string expected)
    {
        Assert.Contains(expected, SourceArchive.Read(bytes, Limits).Problem!.Message);
    }

    [Fact]
    public void Binary_files_duplicates_and_empty_archives_are_refused()
    {
        var binary = SourceArchive.Read(TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "a.o") { DataStream = new MemoryStream([0xff, 0xfe, 0x00]) })), Limits);
        var twice = SourceArchive.Read(TarGz(w => { File(w, "a.c", "1"); File(w, "./a.c", "2"); }), Limits);
        var empty = SourceArchive.Read(TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "src/"))), Limits);

        Assert.Contains("not UTF-8 text", binary.Problem!.Message);
        Assert.Contains("twice", twice.Problem!.Message);
        Assert.Contains("no files", empty.Problem!.Message);
    }

    private static void File(TarWriter writer, string name, string content) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    private static byte[] TarGz(Action<TarWriter> write)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return output.ToArray();
    }
}
