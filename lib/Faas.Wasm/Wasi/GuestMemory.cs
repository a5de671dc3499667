using System.Buffers.Binary;
using Wasmtime;

namespace Faas.Wasm.Wasi;

/// <summary>
/// Bounds-checked access to a guest's linear memory for the duration of one host call (the memory cannot
/// grow while the host runs). Addresses are the guest's u32 values; anything out of bounds is reported,
/// never touched, so the host answers EFAULT instead of crashing.
/// </summary>
internal readonly unsafe ref struct GuestMemory
{
    private readonly byte* start;
    private readonly ulong length;

    public GuestMemory(Memory memory)
    {
        start = (byte*)memory.GetPointer();
        length = (ulong)memory.GetLength();
    }

    public bool TrySlice(int address, int count, out Span<byte> span)
    {
        var offset = (uint)address;
        var size = (uint)count;
        if (offset + (ulong)size > length || size > int.MaxValue)
        {
            span = default;
            return false;
        }

        span = new Span<byte>(start + offset, (int)size);
        return true;
    }

    public bool TryReadInt32(int address, out int value)
    {
        if (!TrySlice(address, sizeof(int), out var span))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadInt32LittleEndian(span);
        return true;
    }

    public bool TryWriteInt32(int address, int value)
    {
        if (!TrySlice(address, sizeof(int), out var span))
        {
            return false;
        }

        BinaryPrimitives.WriteInt32LittleEndian(span, value);
        return true;
    }

    public bool TryWriteInt64(int address, long value)
    {
        if (!TrySlice(address, sizeof(long), out var span))
        {
            return false;
        }

        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        return true;
    }

    /// <summary>Reads the <paramref name="index"/>th iovec (<c>{ u32 buf; u32 len; }</c>) of an array.</summary>
    public bool TryReadIovec(int iovs, int index, out int buffer, out int count)
    {
        buffer = 0;
        count = 0;
        // The array must not wrap around the end of the 32-bit address space.
        var address = (uint)iovs + ((ulong)(uint)index * 8);
        return address + 8 <= length
            && TryReadInt32((int)address, out buffer) && TryReadInt32((int)address + 4, out count);
    }
}
