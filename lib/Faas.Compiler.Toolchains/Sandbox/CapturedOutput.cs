using System.Text;

namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// A process's stdout and stderr together: each complete line goes to a line handler as it arrives
/// (diagnostics are parsed from the whole stream), and only the last <c>limit</c> characters are kept.
/// Thread-safe: both streams write into it.
/// </summary>
internal sealed class CapturedOutput(int limit, Action<string>? onLine)
{
    /// <summary>Longer lines are cut here before they reach the line handler.</summary>
    private const int MaxLineLength = 4096;

    private readonly Lock gate = new();
    private readonly StringBuilder tail = new();
    private readonly Dictionary<int, StringBuilder> partialLines = [];

    public long DiscardedChars { get; private set; }

    public void Append(int stream, ReadOnlySpan<char> chars)
    {
        lock (gate)
        {
            tail.Append(chars);
            if (tail.Length > 2 * limit)
            {
                Trim();
            }

            if (!partialLines.TryGetValue(stream, out var line))
            {
                partialLines[stream] = line = new StringBuilder();
            }

            foreach (var c in chars)
            {
                if (c == '\n')
                {
                    onLine?.Invoke(line.ToString().TrimEnd('\r'));
                    line.Clear();
                }
                else if (line.Length < MaxLineLength)
                {
                    line.Append(c);
                }
            }
        }
    }

    /// <summary>Passes on unterminated last lines and returns the kept tail.</summary>
    public string Complete()
    {
        lock (gate)
        {
            foreach (var line in partialLines.Values.Where(l => l.Length > 0))
            {
                onLine?.Invoke(line.ToString());
                line.Clear();
            }

            Trim();
            return tail.ToString();
        }
    }

    private void Trim()
    {
        if (tail.Length > limit)
        {
            DiscardedChars += tail.Length - limit;
            tail.Remove(0, tail.Length - limit);
        }
    }
}
