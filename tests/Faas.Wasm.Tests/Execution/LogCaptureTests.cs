using System.Text;
using Faas.Wasm.Execution;
using Microsoft.Extensions.Time.Testing;

namespace Faas.Wasm.Tests.Execution;

public sealed class LogCaptureTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));

    private static void Write(LogCapture capture, string text) => capture.Append(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Writes_become_lines_each_timed_by_its_first_byte()
    {
        var capture = new LogCapture(1024, time);
        var start = time.GetUtcNow();
        Write(capture, "one\ntw");
        time.Advance(TimeSpan.FromMilliseconds(5));
        Write(capture, "o\r\nthree\n\nlast");

        var lines = capture.Lines();

        Assert.Equal(["one", "two", "three", "", "last"], lines.Select(l => l.Text));
        Assert.Equal([start, start, start.AddMilliseconds(5), start.AddMilliseconds(5), start.AddMilliseconds(5)], lines.Select(l => l.Time));
        Assert.Equal(0, capture.DroppedBytes);
    }

    [Fact]
    public void Past_the_capacity_bytes_are_counted_not_kept()
    {
        var capture = new LogCapture(8, time);
        Write(capture, "12345\n");
        Write(capture, "abcdef\n");
        Write(capture, "more\n");

        Assert.Equal(["12345", "ab"], capture.Lines().Select(l => l.Text));
        Assert.Equal(5 + 5, capture.DroppedBytes);
    }

    [Fact]
    public void Nothing_written_is_no_lines_and_a_capacity_of_zero_keeps_and_counts_nothing()
    {
        Assert.Empty(new LogCapture(16, time).Lines());
        var off = new LogCapture(0, time);
        Write(off, "ignored\n");
        Assert.Empty(off.Lines());
        Assert.Equal(0, off.DroppedBytes);
    }
}
