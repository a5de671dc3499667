using System.Buffers;
using System.Text;

namespace Faas.Wasm.Execution;

/// <summary>A line a function wrote to stderr, without its line end, and when its first byte was written.</summary>
public readonly record struct CapturedLine(DateTimeOffset Time, string Text);

/// <summary>
/// Keeps the first <c>capacity</c> bytes a function writes to stderr as lines, each with the time it began; what comes
/// after is counted, not kept. Nothing is allocated until the first write, so a run that logs nothing pays nothing.
/// A capacity of 0 turns capture off.
/// </summary>
public sealed class LogCapture(int capacity, TimeProvider timeProvider)
{
    private List<CapturedLine>? lines;
    private ArrayBufferWriter<byte>? open;
    private DateTimeOffset openedAt;
    private bool lineOpen;
    private int kept;

    public LogCapture(int capacity)
        : this(capacity, TimeProvider.System)
    {
    }

    /// <summary>Bytes written past the capacity.</summary>
    public long DroppedBytes { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (capacity <= 0 || data.IsEmpty)
        {
            return;
        }

        var room = capacity - kept;
        if (data.Length > room)
        {
            DroppedBytes += data.Length - room;
            data = data[..room];
            if (data.IsEmpty)
            {
                return;
            }
        }

        kept += data.Length;
        var now = timeProvider.GetUtcNow();
        while (!data.IsEmpty)
        {
            if (!lineOpen)
            {
                lineOpen = true;
                openedAt = now;
            }

            var end = data.IndexOf((byte)'\n');
            (open ??= new ArrayBufferWriter<byte>()).Write(end < 0 ? data : data[..end]);
            if (end < 0)
            {
                return;
            }

            EndLine();
            data = data[(end + 1)..];
        }
    }

    /// <summary>The lines kept, a last line without its line end included.</summary>
    public IReadOnlyList<CapturedLine> Lines()
    {
        if (lineOpen)
        {
            EndLine();
        }

        return lines ?? (IReadOnlyList<CapturedLine>)[];
    }

    private void EndLine()
    {
        var bytes = open is null ? [] : open.WrittenSpan;
        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        (lines ??= []).Add(new CapturedLine(openedAt, Encoding.UTF8.GetString(bytes)));
        open?.ResetWrittenCount();
        lineOpen = false;
    }
}
