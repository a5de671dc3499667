using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Faas.Wasm.Execution;
using Faas.Wasm.Validation;
using Wasmtime;

namespace Faas.Wasm.Wasi;

/// <summary>
/// The platform's WASI preview1 (<c>wasi_snapshot_preview1</c>), implemented in the host against the
/// invocation's state instead of Wasmtime's WASI context: stdin is the payload, stdout and stderr are
/// captured in memory, argv and environ come from the request. That avoids a WASI context per
/// invocation (and its stdin file), and it means every preview1 import resolves here: Wasmtime's own
/// WASI functions abort the process when called without a context, so none of them is linked.
/// There is no file system and no network: no directory is preopened, stdio behaves like pipes, and
/// every other descriptor is EBADF.
/// Every import bounds its work, because the epoch deadline interrupts only wasm code, never a host call: at most
/// <see cref="MaxIovecs"/> iovecs and <see cref="MaxSubscriptions"/> subscriptions per call, stderr keeps only its tail
/// without looking at the rest, and buffers are filled or copied <see cref="ChunkBytes"/> at a time with a look at
/// the run's deadline in between; a sleep ends at the deadline.
/// </summary>
internal static class WasiPreview1
{
    public const string ModuleName = FunctionContract.ImportModule;

    private const int Stdin = 0;
    private const int Stdout = 1;
    private const int Stderr = 2;

    private const long RightFdRead = 1L << 1;
    private const long RightFdWrite = 1L << 6;
    private const long RightPollFdReadWrite = 1L << 27;

    /// <summary>Most iovecs one <c>fd_read</c> or <c>fd_write</c> takes (Linux's IOV_MAX); more is EINVAL, as for readv/writev.</summary>
    public const int MaxIovecs = 1024;

    /// <summary>Most subscriptions one <c>poll_oneoff</c> takes; more is EINVAL. A function has three descriptors to wait for.</summary>
    public const int MaxSubscriptions = 1024;

    /// <summary>Bytes a host call fills or copies between two looks at the run's deadline.</summary>
    public const int ChunkBytes = 64 * 1024;

    private const int SubscriptionSize = 48;
    private const int EventSize = 32;
    private const byte EventClock = 0;
    private const byte EventFdRead = 1;
    private const byte EventFdWrite = 2;

    private static readonly ValueKind[] Errno32 = [ValueKind.Int32];

    /// <summary>Descriptor operations the platform answers with an error code only.</summary>
    private static readonly DescriptorStub[] DescriptorStubs =
    [
        new("fd_advise", [ValueKind.Int32, ValueKind.Int64, ValueKind.Int64, ValueKind.Int32], 0, Errno.Spipe),
        new("fd_allocate", [ValueKind.Int32, ValueKind.Int64, ValueKind.Int64], 0, Errno.Spipe),
        new("fd_close", [ValueKind.Int32], 0, Errno.Success),
        new("fd_datasync", [ValueKind.Int32], 0, Errno.Inval),
        new("fd_fdstat_set_flags", [ValueKind.Int32, ValueKind.Int32], 0, Errno.Success),
        new("fd_fdstat_set_rights", [ValueKind.Int32, ValueKind.Int64, ValueKind.Int64], 0, Errno.Notsup),
        new("fd_filestat_set_size", [ValueKind.Int32, ValueKind.Int64], 0, Errno.Inval),
        new("fd_filestat_set_times", [ValueKind.Int32, ValueKind.Int64, ValueKind.Int64, ValueKind.Int32], 0, Errno.Notsup),
        new("fd_pread", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int64, ValueKind.Int32], 0, Errno.Spipe),
        new("fd_prestat_get", [ValueKind.Int32, ValueKind.Int32], 0, Errno.Badf),
        new("fd_prestat_dir_name", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Badf),
        new("fd_pwrite", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int64, ValueKind.Int32], 0, Errno.Spipe),
        new("fd_readdir", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int64, ValueKind.Int32], 0, Errno.Notdir),
        new("fd_renumber", [ValueKind.Int32, ValueKind.Int32], 0, Errno.Notsup),
        new("fd_seek", [ValueKind.Int32, ValueKind.Int64, ValueKind.Int32, ValueKind.Int32], 0, Errno.Spipe),
        new("fd_sync", [ValueKind.Int32], 0, Errno.Inval),
        new("fd_tell", [ValueKind.Int32, ValueKind.Int32], 0, Errno.Spipe),
        new("path_create_directory", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_filestat_get", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_filestat_set_times", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int64, ValueKind.Int64, ValueKind.Int32], 0, Errno.Notdir),
        new("path_link", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_open", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int64, ValueKind.Int64, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_readlink", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_remove_directory", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_rename", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("path_symlink", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 2, Errno.Notdir),
        new("path_unlink_file", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notdir),
        new("sock_accept", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notsock),
        new("sock_recv", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notsock),
        new("sock_send", [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32], 0, Errno.Notsock),
        new("sock_shutdown", [ValueKind.Int32, ValueKind.Int32], 0, Errno.Notsock),
        new("proc_raise", [ValueKind.Int32], NoDescriptor, Errno.Nosys),
        new("sched_yield", [], NoDescriptor, Errno.Success),
    ];

    private const int NoDescriptor = -1;

    private static readonly string[] ImplementedFunctions =
    [
        "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
        "fd_fdstat_get", "fd_filestat_get", "fd_read", "fd_write", "poll_oneoff", "proc_exit", "random_get",
    ];

    /// <summary>Every preview1 function a module may import.</summary>
    public static IReadOnlySet<string> FunctionNames { get; } =
        ImplementedFunctions.Concat(DescriptorStubs.Select(s => s.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Defines the whole <c>wasi_snapshot_preview1</c> module in <paramref name="linker"/>.</summary>
    public static void Define(Linker linker)
    {
        linker.DefineFunction(ModuleName, "args_get", new CallerFunc<int, int, int>(ArgsGet));
        linker.DefineFunction(ModuleName, "args_sizes_get", new CallerFunc<int, int, int>(ArgsSizesGet));
        linker.DefineFunction(ModuleName, "environ_get", new CallerFunc<int, int, int>(EnvironGet));
        linker.DefineFunction(ModuleName, "environ_sizes_get", new CallerFunc<int, int, int>(EnvironSizesGet));
        linker.DefineFunction(ModuleName, "clock_res_get", new CallerFunc<int, int, int>(ClockResGet));
        linker.DefineFunction(ModuleName, "clock_time_get", new CallerFunc<int, long, int, int>(ClockTimeGet));
        linker.DefineFunction(ModuleName, "fd_fdstat_get", new CallerFunc<int, int, int>(FdFdstatGet));
        linker.DefineFunction(ModuleName, "fd_filestat_get", new CallerFunc<int, int, int>(FdFilestatGet));
        linker.DefineFunction(ModuleName, "fd_read", new CallerFunc<int, int, int, int, int>(FdRead));
        linker.DefineFunction(ModuleName, "fd_write", new CallerFunc<int, int, int, int, int>(FdWrite));
        linker.DefineFunction(ModuleName, "poll_oneoff", new CallerFunc<int, int, int, int, int>(PollOneoff));
        linker.DefineFunction(ModuleName, "proc_exit", new CallerAction<int>(ProcExit));
        linker.DefineFunction(ModuleName, "random_get", new CallerFunc<int, int, int>(RandomGet));

        foreach (var stub in DescriptorStubs)
        {
            var descriptorIndex = stub.DescriptorIndex;
            var stdioErrno = stub.StdioErrno;
            linker.DefineFunction(
                ModuleName,
                stub.Name,
                (caller, arguments, results) =>
                    results[0] = descriptorIndex == NoDescriptor || IsStdio(arguments[descriptorIndex].AsInt32()) ? stdioErrno : Errno.Badf,
                stub.Parameters,
                Errno32);
        }
    }

    private static InvocationState State(Caller caller) => (InvocationState)caller.GetData()!;

    private static GuestMemory Memory(Caller caller) => new(State(caller).GetMemory(caller));

    private static bool IsStdio(int fd) => fd is Stdin or Stdout or Stderr;

    private static int FdRead(Caller caller, int fd, int iovs, int iovsLength, int readPointer)
    {
        if (fd != Stdin)
        {
            return Errno.Badf;
        }

        if ((uint)iovsLength > MaxIovecs)
        {
            return Errno.Inval;
        }

        var state = State(caller);
        var memory = new GuestMemory(state.GetMemory(caller));
        var input = state.Request.Payload.Span[state.InputPosition..];
        var total = 0;
        for (var i = 0; i < iovsLength && !input.IsEmpty; i++)
        {
            if (!memory.TryReadIovec(iovs, i, out var buffer, out var length))
            {
                return Errno.Fault;
            }

            var count = (int)Math.Min((uint)length, (uint)input.Length);
            if (!memory.TrySlice(buffer, count, out var target))
            {
                return Errno.Fault;
            }

            input[..count].CopyTo(target);
            input = input[count..];
            total += count;
        }

        state.InputPosition += total;
        return memory.TryWriteInt32(readPointer, total) ? Errno.Success : Errno.Fault;
    }

    /// <summary>
    /// Every iovec is checked before anything is written, and their sum must fit the guest's <c>ssize_t</c>, as for
    /// writev. stdout takes the write whole or fails the run at its limit; stderr goes to the log's capture (which keeps its
    /// head) and to the tail, which skips the bytes of a write before its last <see cref="StderrTail.Capacity"/>.
    /// </summary>
    private static int FdWrite(Caller caller, int fd, int iovs, int iovsLength, int writtenPointer)
    {
        if (fd is not (Stdout or Stderr))
        {
            return Errno.Badf;
        }

        if ((uint)iovsLength > MaxIovecs)
        {
            return Errno.Inval;
        }

        var state = State(caller);
        var memory = new GuestMemory(state.GetMemory(caller));
        var total = 0L;
        for (var i = 0; i < iovsLength; i++)
        {
            if (!memory.TryReadIovec(iovs, i, out var buffer, out var length) || !memory.TrySlice(buffer, length, out _))
            {
                return Errno.Fault;
            }

            total += (uint)length;
        }

        if (total > int.MaxValue)
        {
            return Errno.Inval;
        }

        var skip = fd == Stderr ? Math.Max(0, total - state.Stderr.Capacity) : 0;
        for (var i = 0; i < iovsLength; i++)
        {
            memory.TryReadIovec(iovs, i, out var buffer, out var length);
            memory.TrySlice(buffer, length, out var data);
            if (fd == Stderr)
            {
                state.Log.Append(data);
            }

            if (skip >= data.Length)
            {
                skip -= data.Length;
                continue;
            }

            data = data[(int)skip..];
            skip = 0;
            if (fd == Stderr)
            {
                state.Stderr.Append(data);
            }
            else
            {
                AppendToStdout(state, data);
            }
        }

        return memory.TryWriteInt32(writtenPointer, (int)total) ? Errno.Success : Errno.Fault;
    }

    /// <summary>All of <paramref name="data"/> or, past the limit, nothing and the run fails; copied in chunks so that a large limit cannot outlast the deadline.</summary>
    private static void AppendToStdout(InvocationState state, ReadOnlySpan<byte> data)
    {
        if (data.Length > state.Stdout.Remaining)
        {
            state.OutputLimitExceeded = true;
            throw new OutputLimitExceededException(state.Stdout.Limit);
        }

        while (!data.IsEmpty)
        {
            state.ThrowIfPastDeadline();
            var chunk = data[..Math.Min(data.Length, ChunkBytes)];
            state.Stdout.TryAppend(chunk);
            data = data[chunk.Length..];
        }
    }

    private static int ArgsSizesGet(Caller caller, int countPointer, int sizePointer)
    {
        var block = State(caller).ArgumentBlock;
        return WriteSizes(Memory(caller), countPointer, 1, sizePointer, block.Length);
    }

    private static int ArgsGet(Caller caller, int listPointer, int bufferPointer) =>
        WriteStrings(Memory(caller), State(caller).ArgumentBlock, listPointer, bufferPointer);

    private static int EnvironSizesGet(Caller caller, int countPointer, int sizePointer)
    {
        var (block, count) = State(caller).EnvironmentBlock;
        return WriteSizes(Memory(caller), countPointer, count, sizePointer, block.Length);
    }

    private static int EnvironGet(Caller caller, int listPointer, int bufferPointer) =>
        WriteStrings(Memory(caller), State(caller).EnvironmentBlock.Block, listPointer, bufferPointer);

    private static int WriteSizes(GuestMemory memory, int countPointer, int count, int sizePointer, int size) =>
        memory.TryWriteInt32(countPointer, count) && memory.TryWriteInt32(sizePointer, size) ? Errno.Success : Errno.Fault;

    /// <summary>Copies NUL-terminated strings to the guest's buffer and their addresses to its pointer list.</summary>
    private static int WriteStrings(GuestMemory memory, byte[] block, int listPointer, int bufferPointer)
    {
        if (!memory.TrySlice(bufferPointer, block.Length, out var buffer))
        {
            return Errno.Fault;
        }

        block.CopyTo(buffer);
        var index = 0;
        for (var start = 0; start < block.Length; index++)
        {
            if (!memory.TryWriteInt32(listPointer + (index * 4), bufferPointer + start))
            {
                return Errno.Fault;
            }

            start += Array.IndexOf(block, (byte)0, start) - start + 1;
        }

        return Errno.Success;
    }

    private static int ClockResGet(Caller caller, int clockId, int resultPointer)
    {
        if (clockId is < 0 or > 3)
        {
            return Errno.Inval;
        }

        return Memory(caller).TryWriteInt64(resultPointer, 100) ? Errno.Success : Errno.Fault;
    }

    private static int ClockTimeGet(Caller caller, int clockId, long precision, int resultPointer)
    {
        var state = State(caller);
        if (!TryReadClock(state, clockId, out var nanoseconds))
        {
            return Errno.Inval;
        }

        return Memory(caller).TryWriteInt64(resultPointer, nanoseconds) ? Errno.Success : Errno.Fault;
    }

    /// <summary>Realtime and monotonic clocks as the host sees them; CPU-time clocks count from the run's start.</summary>
    private static bool TryReadClock(InvocationState state, int clockId, out long nanoseconds)
    {
        nanoseconds = clockId switch
        {
            0 => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100,
            1 => Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).Ticks * 100,
            2 or 3 => Stopwatch.GetElapsedTime(state.StartTimestamp).Ticks * 100,
            _ => -1,
        };
        return nanoseconds >= 0;
    }

    private static int FdFdstatGet(Caller caller, int fd, int statPointer)
    {
        if (!IsStdio(fd))
        {
            return Errno.Badf;
        }

        // fdstat { u8 filetype; u16 flags; u64 rights_base; u64 rights_inheriting }. Filetype "unknown"
        // (a pipe, not a terminal) keeps libc's stdout fully buffered.
        if (!Memory(caller).TrySlice(statPointer, 24, out var stat))
        {
            return Errno.Fault;
        }

        stat.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(stat[8..], (fd == Stdin ? RightFdRead : RightFdWrite) | RightPollFdReadWrite);
        return Errno.Success;
    }

    private static int FdFilestatGet(Caller caller, int fd, int statPointer)
    {
        if (!IsStdio(fd))
        {
            return Errno.Badf;
        }

        if (!Memory(caller).TrySlice(statPointer, 64, out var stat))
        {
            return Errno.Fault;
        }

        stat.Clear();
        return Errno.Success;
    }

    /// <summary>Fills the buffer in chunks, so that a gigabyte buffer costs the function its timeout, not the worker its slot.</summary>
    private static int RandomGet(Caller caller, int bufferPointer, int length)
    {
        var state = State(caller);
        if (!new GuestMemory(state.GetMemory(caller)).TrySlice(bufferPointer, length, out var buffer))
        {
            return Errno.Fault;
        }

        while (!buffer.IsEmpty)
        {
            state.ThrowIfPastDeadline();
            var chunk = buffer[..Math.Min(buffer.Length, ChunkBytes)];
            RandomNumberGenerator.Fill(chunk);
            buffer = buffer[chunk.Length..];
        }

        return Errno.Success;
    }

    private static void ProcExit(Caller caller, int exitCode)
    {
        State(caller).ExitCode = exitCode;
        throw new GuestExitException(exitCode);
    }

    /// <summary>
    /// Descriptor subscriptions are ready at once (stdin is all in memory). A sleep waits for the earliest
    /// clock, but never past the run's deadline: the guest is interrupted as soon as it resumes.
    /// </summary>
    private static int PollOneoff(Caller caller, int subscriptionsPointer, int eventsPointer, int count, int eventCountPointer)
    {
        if (count is <= 0 or > MaxSubscriptions)
        {
            return Errno.Inval;
        }

        var state = State(caller);
        var memory = new GuestMemory(state.GetMemory(caller));
        if (!memory.TrySlice(subscriptionsPointer, count * SubscriptionSize, out var subscriptions)
            || !memory.TrySlice(eventsPointer, count * EventSize, out var events))
        {
            return Errno.Fault;
        }

        var eventCount = 0;
        var earliestClock = long.MaxValue;
        var clocks = false;
        for (var i = 0; i < count; i++)
        {
            var subscription = subscriptions.Slice(i * SubscriptionSize, SubscriptionSize);
            var userData = BinaryPrimitives.ReadUInt64LittleEndian(subscription);
            switch (subscription[8])
            {
                case EventClock:
                    var clockId = BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]);
                    var timeout = ClockTimeout(subscription);
                    var absolute = (BinaryPrimitives.ReadUInt16LittleEndian(subscription[40..]) & 1) != 0;
                    if (!TryReadClock(state, clockId, out var now))
                    {
                        WriteEvent(events, eventCount++, userData, Errno.Inval, EventClock, 0, 0);
                        continue;
                    }

                    earliestClock = Math.Min(earliestClock, absolute ? timeout - now : timeout);
                    clocks = true;
                    break;
                case EventFdRead or EventFdWrite:
                    var type = subscription[8];
                    var fd = BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]);
                    var remaining = state.Request.Payload.Length - state.InputPosition;
                    var ready = type == EventFdRead ? fd == Stdin : fd is Stdout or Stderr;
                    WriteEvent(
                        events,
                        eventCount++,
                        userData,
                        ready ? Errno.Success : Errno.Badf,
                        type,
                        ready && type == EventFdRead ? remaining : 0,
                        ready && type == EventFdRead && remaining == 0 ? (ushort)1 : (ushort)0);
                    break;
                default:
                    return Errno.Inval;
            }
        }

        if (eventCount == 0 && clocks)
        {
            var untilDeadline = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), state.DeadlineTimestamp);
            var wait = TimeSpan.FromTicks(Math.Max(0, earliestClock / 100));
            if (wait >= untilDeadline)
            {
                // The guest would wake up past its timeout: end the run at the deadline instead.
                if (state.CancellationToken.WaitHandle.WaitOne(untilDeadline > TimeSpan.Zero ? untilDeadline : TimeSpan.Zero))
                {
                    throw state.EndAtCancellation();
                }

                throw state.EndAtDeadline("slept past its timeout");
            }

            // Wait handles may wake a little early; a guest's sleep lasts at least what it asked for.
            var wakeAt = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
            for (var left = wait; left > TimeSpan.Zero; left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), wakeAt))
            {
                if (state.CancellationToken.WaitHandle.WaitOne(left))
                {
                    // The caller cancelled the run: it ends here rather than waking as if the clock had fired.
                    throw state.EndAtCancellation();
                }
            }

            // The clocks that fired: the earliest relative ones, and absolute ones now in the past.
            for (var i = 0; i < count; i++)
            {
                var subscription = subscriptions.Slice(i * SubscriptionSize, SubscriptionSize);
                var timeout = ClockTimeout(subscription);
                var absolute = (BinaryPrimitives.ReadUInt16LittleEndian(subscription[40..]) & 1) != 0;
                var fired = absolute
                    ? TryReadClock(state, BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]), out var now) && timeout <= now
                    : timeout <= earliestClock;
                if (subscription[8] == EventClock && fired)
                {
                    WriteEvent(events, eventCount++, BinaryPrimitives.ReadUInt64LittleEndian(subscription), Errno.Success, EventClock, 0, 0);
                }
            }
        }

        return memory.TryWriteInt32(eventCountPointer, eventCount) ? Errno.Success : Errno.Fault;
    }

    /// <summary>A clock subscription's timeout (a u64 of nanoseconds); beyond what a long holds it is as good as never.</summary>
    private static long ClockTimeout(ReadOnlySpan<byte> subscription) =>
        (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(subscription[24..]), long.MaxValue);

    /// <summary>event { u64 userdata; u16 error; u8 type; { u64 nbytes; u16 flags } fd_readwrite }.</summary>
    private static void WriteEvent(Span<byte> events, int index, ulong userData, int error, byte type, long bytes, ushort flags)
    {
        var entry = events.Slice(index * EventSize, EventSize);
        entry.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(entry, userData);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)error);
        entry[10] = type;
        BinaryPrimitives.WriteInt64LittleEndian(entry[16..], bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[24..], flags);
    }

    private sealed record DescriptorStub(string Name, ValueKind[] Parameters, int DescriptorIndex, int StdioErrno);
}
