using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>
/// Reads a gzip-compressed tar archive of source files into a file set, in memory: nothing reaches a disk
/// before every entry was checked. Refused: archives larger than the source limit, archives that expand
/// beyond it (gzip bombs are cut off while decompressing), more files than allowed, names that could leave
/// the scratch directory (absolute, <c>..</c>, hidden), duplicate names, links, devices and FIFOs, and files
/// that are not UTF-8 text. Directories are implied by file names and otherwise ignored.
/// </summary>
public static class SourceArchive
{
    /// <summary>tar's own bytes per entry (header, padding, a PAX record) on top of the contents.</summary>
    private const int EntryOverheadBytes = 3 * 512;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The archive's files by name, or the first problem found.</summary>
    public static SourceArchiveResult Read(ReadOnlySpan<byte> archive, SourceLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (archive.Length == 0)
        {
            return SourceArchiveResult.Invalid(new("The archive is empty."));
        }

        if (archive.Length > limits.MaxBytes)
        {
            return SourceArchiveResult.Invalid(new($"The archive has {archive.Length} bytes, more than the source limit of {limits.MaxBytes}.", IsTooLarge: true));
        }

        if (archive.Length < 2 || archive[0] != 0x1f || archive[1] != 0x8b)
        {
            return SourceArchiveResult.Invalid(new("The archive is not gzip-compressed: send a .tar.gz."));
        }

        try
        {
            return ReadEntries(archive.ToArray(), limits);
        }
        catch (ExpansionLimitException)
        {
            return SourceArchiveResult.Invalid(new($"The archive expands beyond the source limit of {limits.MaxBytes} bytes.", IsTooLarge: true));
        }
        catch (Exception exception) when (exception is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or IOException)
        {
            return SourceArchiveResult.Invalid(new($"The archive is not a valid tar.gz: {exception.Message}"));
        }
    }

    private static SourceArchiveResult ReadEntries(byte[] archive, SourceLimits limits)
    {
        var expansionLimit = limits.MaxBytes + ((long)limits.MaxFiles + 16) * EntryOverheadBytes;
        using var gzip = new GZipStream(new MemoryStream(archive, writable: false), CompressionMode.Decompress);
        using var bounded = new BoundedReadStream(gzip, expansionLimit);
        using var reader = new TarReader(bounded);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        long totalBytes = 0;
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
            {
                continue;
            }

            var name = Normalize(entry.Name);
            if (entry.EntryType is TarEntryType.Directory)
            {
                if (name.Length > 0 && SourceSetValidator.CheckName(name) is { } directoryProblem)
                {
                    return SourceArchiveResult.Invalid(directoryProblem);
                }

                continue;
            }

            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
            {
                return SourceArchiveResult.Invalid(new(
                    $"The archive entry `{SourceSetValidator.Printable(entry.Name)}` is a {Describe(entry.EntryType)}: archives may hold only regular files and directories."));
            }

            if (SourceSetValidator.CheckName(name) is { } problem)
            {
                return SourceArchiveResult.Invalid(problem);
            }

            if (files.Count == limits.MaxFiles)
            {
                return SourceArchiveResult.Invalid(SourceSetValidator.TooManyFiles(limits, files.Count + 1));
            }

            totalBytes += entry.Length;
            if (totalBytes > limits.MaxBytes)
            {
                return SourceArchiveResult.Invalid(SourceSetValidator.TooLarge(limits));
            }

            var bytes = new byte[entry.Length];
            if (entry.DataStream is { } data)
            {
                data.ReadExactly(bytes);
            }

            string text;
            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return SourceArchiveResult.Invalid(new($"The archive entry `{name}` is not UTF-8 text: archives hold source files only."));
            }

            if (!files.TryAdd(name, text))
            {
                return SourceArchiveResult.Invalid(new($"The archive holds `{name}` twice."));
            }
        }

        if (files.Count == 0)
        {
            return SourceArchiveResult.Invalid(new("The archive holds no files."));
        }

        return SourceSetValidator.Validate(files, limits) is { } invalid ? SourceArchiveResult.Invalid(invalid) : SourceArchiveResult.Valid(files);
    }

    /// <summary>tar writes <c>./src/main.c</c> and <c>src/</c>; the file set calls them <c>src/main.c</c> and <c>src</c>.</summary>
    private static string Normalize(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name == "." ? "" : name.TrimEnd('/');
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "device",
        TarEntryType.Fifo => "FIFO",
        _ => $"{type} entry",
    };

    private sealed class ExpansionLimitException : Exception;

    /// <summary>Fails a read that would take the decompressed stream past its limit.</summary>
    private sealed class BoundedReadStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            read += n;
            if (read > limit)
            {
                throw new ExpansionLimitException();
            }

            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>The files of an archive, or why it was refused.</summary>
public sealed record SourceArchiveResult(IReadOnlyDictionary<string, string>? Files, SourceProblem? Problem)
{
    public static SourceArchiveResult Valid(IReadOnlyDictionary<string, string> files) => new(files, null);

    public static SourceArchiveResult Invalid(SourceProblem problem) => new(null, problem);
}
