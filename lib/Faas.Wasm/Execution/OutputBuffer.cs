using System.Buffers;

namespace Faas.Wasm.Execution;

/// <summary>A function's stdout: grows from pooled arrays up to a hard limit.</summary>
internal sealed class OutputBuffer(int limit)
{
    private const int InitialCapacity = 4096;
    private byte[] buffer = [];
    private int length;

    public int Limit => limit;

    /// <summary>Bytes that may still be appended.</summary>
    public int Remaining => limit - length;

    /// <summary>Appends <paramref name="data"/>, or returns false (appending nothing) when it would pass the limit.</summary>
    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        if (data.Length > limit - length)
        {
            return false;
        }

        if (data.Length > buffer.Length - length)
        {
            Grow(length + data.Length);
        }

        data.CopyTo(buffer.AsSpan(length));
        length += data.Length;
        return true;
    }

    /// <summary>The output as an exactly-sized array; the pooled buffer goes back to the pool.</summary>
    public byte[] Detach()
    {
        var output = length == 0 ? [] : buffer.AsSpan(0, length).ToArray();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = [];
        length = 0;
        return output;
    }

    private void Grow(int needed)
    {
        var capacity = Math.Min(limit, Math.Max(needed, Math.Max(InitialCapacity, buffer.Length * 2)));
        var grown = ArrayPool<byte>.Shared.Rent(capacity);
        buffer.AsSpan(0, length).CopyTo(grown);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = grown;
    }
}
