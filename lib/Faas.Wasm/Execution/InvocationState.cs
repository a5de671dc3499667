using System.Diagnostics;
using System.Text;
using Wasmtime;

namespace Faas.Wasm.Execution;

/// <summary>
/// Everything one invocation's host calls read and write, held as its Store's data: stdin position,
/// captured stdout, stderr's tail and its lines for the log, the exit code, and the argv/environ blocks (built only when asked for).
/// </summary>
internal sealed class InvocationState(ExecutionRequest request, int maxOutputBytes, int stderrTailBytes, int logBytes, CancellationToken cancellationToken)
{
    public const string MemoryExport = Validation.FunctionContract.MemoryExport;

    private byte[]? environBlock;
    private int environCount;

    public ExecutionRequest Request { get; } = request;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>When the run's timeout passes, in <see cref="Stopwatch"/> ticks.</summary>
    public long DeadlineTimestamp { get; init; } = long.MaxValue;

    public int InputPosition { get; set; }

    public OutputBuffer Stdout { get; } = new(maxOutputBytes);

    public StderrTail Stderr { get; } = new(stderrTailBytes);

    /// <summary>The head of stderr, line by line, for the function's log.</summary>
    public LogCapture Log { get; } = new(logBytes);

    /// <summary>The code passed to <c>proc_exit</c>, if the function called it.</summary>
    public int? ExitCode { get; set; }

    /// <summary>Set when a host call ended the run at its deadline (a sleep past the timeout, work cut short).</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Set when the function tried to write more than the output limit.</summary>
    public bool OutputLimitExceeded { get; set; }

    /// <summary>The instance's exported memory, looked up on the first host call that needs it.</summary>
    public Memory? Memory { get; set; }

    public Memory GetMemory(Caller caller) =>
        Memory ??= caller.GetMemory(MemoryExport)
            ?? throw new InvalidOperationException($"The module does not export its memory as `{MemoryExport}`.");

    /// <summary>
    /// Ends the run from inside a host call once its timeout has passed. The epoch deadline interrupts only wasm code,
    /// so host work that can take long (filling or copying large buffers) checks this between chunks.
    /// </summary>
    public void ThrowIfPastDeadline()
    {
        if (Stopwatch.GetTimestamp() >= DeadlineTimestamp)
        {
            throw EndAtDeadline("its timeout passed during a host call");
        }
    }

    /// <summary>Set when the run was stopped because its caller cancelled it.</summary>
    public bool Cancelled { get; private set; }

    /// <summary>Marks the run cancelled; throw the result to unwind the guest.</summary>
    public OperationCanceledException EndAtCancellation()
    {
        Cancelled = true;
        return new OperationCanceledException("The caller cancelled the run.", CancellationToken);
    }

    /// <summary>Marks the run timed out; throw the result to unwind the guest.</summary>
    public TimeoutException EndAtDeadline(string reason)
    {
        TimedOut = true;
        return new TimeoutException(reason);
    }

    /// <summary>argv: the function's name only.</summary>
    public byte[] ArgumentBlock => field ??= NullTerminated(Request.FunctionName);

    /// <summary>environ as consecutive NUL-terminated <c>KEY=VALUE</c> strings.</summary>
    public (byte[] Block, int Count) EnvironmentBlock
    {
        get
        {
            if (environBlock is null)
            {
                BuildEnvironment();
            }

            return (environBlock!, environCount);
        }
    }

    private void BuildEnvironment()
    {
        var builder = new StringBuilder();
        var count = 0;
        void Add(string key, string value)
        {
            builder.Append(key).Append('=').Append(value).Append('\0');
            count++;
        }

        Add("FAAS_EXECUTION_ID", Request.ExecutionId);
        Add("FAAS_TRACE_ID", Request.TraceId);
        Add("FAAS_FUNCTION", Request.FunctionName);
        Add("FAAS_VERSION", Request.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in Request.Environment)
        {
            if (key.Length == 0 || key.StartsWith("FAAS_", StringComparison.Ordinal) || key.Contains('=') || key.Contains('\0') || value.Contains('\0'))
            {
                continue;
            }

            Add(key, value);
        }

        environBlock = Encoding.UTF8.GetBytes(builder.ToString());
        environCount = count;
    }

    private static byte[] NullTerminated(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }
}
