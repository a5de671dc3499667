using System.Text;
using System.Text.Unicode;
using Faas.Protos.V1;
using Faas.Storage.Logs;
using LogStream = Faas.Storage.Logs.LogStream;

namespace Faas.Shared;

/// <summary>How a run's result becomes its log: the stderr lines the sink captured and, for an asynchronous run, its stdout.</summary>
internal static class ExecutionLogs
{
    /// <summary>
    /// Hands the run's lines to <paramref name="writer"/>. With <paramref name="withStdout"/>, the output (an asynchronous run's) is
    /// logged as text lines when it is UTF-8, else as one note of its size.
    /// </summary>
    public static void Record(
        this FunctionLogWriter writer, Guid tenantId, string functionName, int version, Guid executionId, ExecuteResponse? result,
        DateTimeOffset finishedAt, bool withStdout)
    {
        if (result is null)
        {
            return;
        }

        var stdout = withStdout ? result.Output.Span : default;
        if (result.Log.Count == 0 && result.LogDroppedBytes == 0 && stdout.IsEmpty)
        {
            return;
        }

        var lines = new List<LogLineRecord>(result.Log.Count);
        foreach (var line in result.Log)
        {
            lines.Add(new LogLineRecord(DateTimeOffset.UnixEpoch.AddTicks(line.TimeUnixMicros * TimeSpan.TicksPerMicrosecond), LogStream.Stderr, line.Text));
        }

        if (!stdout.IsEmpty)
        {
            // Past the cap nothing is kept anyway: look at no more of a large output than that.
            var head = stdout.Length > writer.MaxBytesPerExecution ? stdout[..(writer.MaxBytesPerExecution + 1)] : stdout;
            // A head cut from a longer output may end inside a character.
            if (Utf8.IsValid(head.Length < stdout.Length ? head[..^Math.Min(3, head.Length)] : head))
            {
                foreach (var text in Encoding.UTF8.GetString(head).TrimEnd('\n').Split('\n'))
                {
                    lines.Add(new LogLineRecord(finishedAt, LogStream.Stdout, text.TrimEnd('\r')));
                }
            }
            else
            {
                lines.Add(new LogLineRecord(finishedAt, LogStream.Platform, $"stdout: {stdout.Length} bytes that are not UTF-8 text (the execution's output)"));
            }
        }

        writer.Write(tenantId, functionName, version, executionId, lines, (long)result.LogDroppedBytes + Math.Max(0, stdout.Length - writer.MaxBytesPerExecution - 1));
    }
}
