using System.Globalization;
using System.Text;

namespace Faas.Storage.Logs;

/// <summary>The cap on one execution's log: what is kept, and the platform's note when something was cut.</summary>
public static class LogLimits
{
    /// <summary>
    /// The lines that fit in <paramref name="maxBytes"/> of text (a line that does not fit is cut at a character), and,
    /// when anything was cut here or before (<paramref name="droppedBefore"/>: bytes the sink did not send), a last
    /// <see cref="LogStream.Platform"/> line saying how much.
    /// </summary>
    public static IReadOnlyList<LogLineRecord> Cap(IReadOnlyList<LogLineRecord> lines, int maxBytes, long droppedBefore, DateTimeOffset now)
    {
        var used = 0;
        long dropped = droppedBefore;
        List<LogLineRecord>? kept = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var size = Encoding.UTF8.GetByteCount(line.Text);
            if (used + size <= maxBytes)
            {
                used += size;
                kept?.Add(line);
                continue;
            }

            kept ??= [.. lines.Take(i)];
            var room = maxBytes - used;
            if (room > 0)
            {
                var cut = Prefix(line.Text, room);
                kept.Add(line with { Text = cut });
                dropped += size - Encoding.UTF8.GetByteCount(cut);
                used = maxBytes;
            }
            else
            {
                dropped += size;
            }
        }

        if (dropped == 0)
        {
            return lines;
        }

        kept ??= [.. lines];
        kept.Add(new LogLineRecord(now, LogStream.Platform, string.Create(CultureInfo.InvariantCulture,
            $"log cut: {dropped} more bytes were written than the {maxBytes}-byte log of one execution keeps")));
        return kept;
    }

    /// <summary>The longest start of <paramref name="text"/> of at most <paramref name="bytes"/> UTF-8 bytes, not splitting a character.</summary>
    private static string Prefix(string text, int bytes)
    {
        var length = Math.Min(text.Length, bytes);
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > bytes)
        {
            length--;
        }

        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }
}
