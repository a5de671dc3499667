using Faas.Cli.Commands;
using Faas.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Faas.Cli.Tests;

public sealed class LogsCommandTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1.5d", 129_600)]
    public void Since_takes_a_duration_back_from_now(string text, int seconds) =>
        Assert.Equal(Now.AddSeconds(-seconds), LogsCommand.ParseSince(text, Now));

    [Fact]
    public void Since_takes_a_time_in_utc_unless_it_says_otherwise()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), LogsCommand.ParseSince("2026-12-07T10:00:00", Now));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(2)), LogsCommand.ParseSince("2026-12-07T10:00:00+02:00", Now));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("10 minutes")]
    [InlineData("-5m")]
    public void Anything_else_is_a_usage_error_that_shows_the_forms(string text)
    {
        var error = Assert.Throws<CliException>(() => LogsCommand.ParseSince(text, Now));
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("30s, 10m, 2h, 7d", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_shows_its_time_execution_version_and_stream_and_cannot_drive_the_terminal()
    {
        var entry = new LogEntry
        {
            Time = Timestamp.FromDateTimeOffset(Now),
            ExecutionId = "01a24e8d-03a2-791e-8553-673804e83eb5",
            Version = 3,
            Stream = Protos.V1.LogStream.Stdout,
            Text = "path \u001b[31m/red\r\tend",
        };

        var line = LogsCommand.Format(entry);

        Assert.EndsWith("  01a24e8d-03a2-791e-8553-673804e83eb5  v3  [stdout] path \\x1b[31m/red\\x0d\tend", line);
        Assert.DoesNotContain('\u001b', line);
    }
}
