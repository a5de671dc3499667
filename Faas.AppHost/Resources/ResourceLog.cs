using System.Text;
using System.Threading.Channels;

namespace Faas.AppHost.Resources;

/// <summary>
/// A resource's log file (<c>&lt;state&gt;/logs/&lt;resource&gt;.log</c>). Lines are written in batches by
/// one background writer that opens the file in append mode each time, so a process that writes the
/// same file itself (PostgreSQL's server log) is not overwritten.
/// </summary>
public sealed class ResourceLog : IAsyncDisposable
{
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public ResourceLog(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _writer = Task.Run(WriteLoopAsync);
    }

    public string Path { get; }

    /// <summary>Keeps the previous run's log as <c>.previous.log</c> and starts an empty one.</summary>
    public static void Rotate(string path)
    {
        if (File.Exists(path))
        {
            File.Move(path, System.IO.Path.ChangeExtension(path, ".previous.log"), overwrite: true);
        }

        File.WriteAllBytes(path, []);
    }

    public void Write(string line) => _queue.Writer.TryWrite(line);

    /// <summary>A line written by the AppHost itself about this resource.</summary>
    public void WriteAppHostLine(string message) =>
        Write($"[apphost {DateTimeOffset.Now:HH:mm:ss.fff}] {message}");

    /// <summary>Completes once every line written so far is in the file.</summary>
    public Task FlushAsync()
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(flushed) ? flushed.Task : Task.CompletedTask;
    }

    /// <summary>The last <paramref name="count"/> lines of the file.</summary>
    public IReadOnlyList<string> ReadTail(int count) => ReadTail(Path, count);

    public static IReadOnlyList<string> ReadTail(string path, int count)
    {
        const int MaxBytes = 64 * 1024;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, stream.Length - MaxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            if (start > 0 && lines.Count > 0)
            {
                lines.RemoveAt(0); // probably cut in the middle
            }

            if (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            return lines.Count <= count ? lines : lines[^count..];
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new StringBuilder();
        var flushes = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (item is TaskCompletionSource flush)
                {
                    flushes.Add(flush);
                }
                else
                {
                    batch.Append((string)item).Append('\n');
                }
            }

            try
            {
                if (batch.Length > 0)
                {
                    await using var file = new FileStream(path: Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    await file.WriteAsync(Encoding.UTF8.GetBytes(batch.ToString())).ConfigureAwait(false);
                }
            }
            catch (IOException)
            {
                // The state directory may be gone (a test deleting it); losing log lines then is fine.
            }
            catch (UnauthorizedAccessException)
            {
            }

            batch.Clear();
            flushes.ForEach(f => f.TrySetResult());
            flushes.Clear();
        }
    }
}
