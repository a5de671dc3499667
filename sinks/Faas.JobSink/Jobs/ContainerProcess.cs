using System.Diagnostics;
using System.Text;
using Faas.Wasm.Execution;
using Faas.Wasm.Jobs;

namespace Faas.JobSink.Jobs;

/// <summary>How the process that ran a job ended, before its result is read.</summary>
public sealed record ContainerExit(int ExitCode, byte[] Stdout, bool StdoutOverflowed, string StderrTail, bool KilledAtDeadline);

/// <summary>
/// Runs the process that stands for one job (<c>runc run</c>, or the job runner itself), reading its
/// result from stdout, the end of its stderr, and killing it from outside when it outlives its time limit;
/// then turns how it ended into a <see cref="JobRun"/>.
/// </summary>
public static class ContainerProcess
{
    private const int StderrTailBytes = 4096;
    private const int KilledBySigkill = 128 + 9;

    /// <param name="killAsync">Kills whatever the process started (the container), before the process itself is killed.</param>
    public static async Task<ContainerExit> RunAsync(
        ProcessStartInfo start, TimeSpan limit, int maxStdoutBytes, Func<Task> killAsync, CancellationToken cancellationToken)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        process.StandardInput.Close();
        var stdout = ReadCappedAsync(process.StandardOutput.BaseStream, maxStdoutBytes);
        var stderr = ReadTailAsync(process.StandardError.BaseStream, StderrTailBytes);
        var killed = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(limit);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                killed = true;
                await killAsync().ConfigureAwait(false);
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It has exited meanwhile.
                }

                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        var (output, overflowed) = await stdout.ConfigureAwait(false);
        var tail = await stderr.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new ContainerExit(process.ExitCode, output, overflowed, tail, killed);
    }

    /// <summary>
    /// The run's outcome: the runtime's own result when it wrote one; a timeout when the launcher had to kill it;
    /// out of memory when the kernel killed it (SIGKILL that the launcher did not send); otherwise a platform failure.
    /// </summary>
    /// <exception cref="JobFailedException">The container ended without a result, for a reason other than its limits.</exception>
    public static JobRun Interpret(ContainerExit exit, string container, int timeoutMs, long memoryLimitBytes, bool memoryKillPossible)
    {
        if (exit.KilledAtDeadline)
        {
            return new JobRun
            {
                Outcome = ExecutionOutcome.Timeout,
                Error = $"timed out after {timeoutMs} ms; the container was killed from outside",
                StderrTail = exit.StderrTail,
                Container = container,
            };
        }

        if (exit.ExitCode == 0 && !exit.StdoutOverflowed && JobFolder.ParseResult(exit.Stdout) is { } result)
        {
            return new JobRun
            {
                Outcome = result.Outcome,
                Output = result.Output,
                ExitCode = result.ExitCode,
                Error = result.Error,
                StderrTail = result.StderrTail,
                Log = result.Log,
                LogDroppedBytes = result.LogDroppedBytes,
                RunMicros = result.RunMicros,
                Container = container,
            };
        }

        if (memoryKillPossible && exit.ExitCode == KilledBySigkill)
        {
            return new JobRun
            {
                Outcome = ExecutionOutcome.OutOfMemory,
                Error = $"killed at the container's memory limit of {memoryLimitBytes / (1024 * 1024)} MiB",
                StderrTail = exit.StderrTail,
                Container = container,
            };
        }

        var reason = exit.ExitCode switch
        {
            JobFiles.ExitSetupFailed => "the job runner could not set up the run",
            0 when exit.StdoutOverflowed => "the result was larger than Jobs:MaxResultBytes",
            0 => "the job runner wrote no readable result",
            _ => $"the container exited with code {exit.ExitCode}",
        };
        var detail = exit.StderrTail.Trim();
        var message = detail.Length == 0 ? reason : $"{reason}: {detail}";
        throw new JobFailedException(container, message, new InvalidOperationException(message));
    }

    /// <summary>Reads a stream to its end, keeping at most <paramref name="max"/> bytes (and saying whether there were more).</summary>
    internal static async Task<(byte[] Bytes, bool Overflowed)> ReadCappedAsync(Stream stream, int max)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        var overflowed = false;
        int read;
        while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                overflowed = true; // keep draining so the writer is never blocked
                continue;
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), overflowed);
    }

    /// <summary>Reads a stream to its end, keeping its last <paramref name="max"/> bytes as text.</summary>
    internal static async Task<string> ReadTailAsync(Stream stream, int max)
    {
        var tail = new Queue<byte>(max);
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (tail.Count == max)
                {
                    tail.Dequeue();
                }

                tail.Enqueue(chunk[i]);
            }
        }

        return Encoding.UTF8.GetString([.. tail]);
    }
}
