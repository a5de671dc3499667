using System.Text;

namespace Faas.Wasm.Execution;

/// <summary>Keeps the last bytes a function wrote to stderr; the buffer is allocated on the first write.</summary>
internal sealed class StderrTail(int capacity)
{
    private byte[]? ring;
    private long written;

    /// <summary>How many of the last bytes are kept.</summary>
    public int Capacity => capacity;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (capacity == 0 || data.IsEmpty)
        {
            return;
        }

        ring ??= new byte[capacity];
        if (data.Length >= capacity)
        {
            data = data[^capacity..];
        }

        var start = (int)(written % capacity);
        var first = Math.Min(data.Length, capacity - start);
        data[..first].CopyTo(ring.AsSpan(start));
        data[first..].CopyTo(ring);
        written += data.Length;
    }

    public override string ToString()
    {
        if (ring is null)
        {
            return "";
        }

        Span<byte> tail = written <= capacity ? ring.AsSpan(0, (int)written) : Linearize(ring);
        // A cut through a multi-byte character leaves continuation bytes at the front: skip them.
        var skip = 0;
        while (written > capacity && skip < tail.Length && (tail[skip] & 0xC0) == 0x80)
        {
            skip++;
        }

        return Encoding.UTF8.GetString(tail[skip..]);
    }

    private byte[] Linearize(byte[] ring)
    {
        var start = (int)(written % capacity);
        var ordered = new byte[capacity];
        ring.AsSpan(start).CopyTo(ordered);
        ring.AsSpan(0, start).CopyTo(ordered.AsSpan(capacity - start));
        return ordered;
    }
}
