using Faas.Storage.Logs;

namespace Faas.Storage.Tests.Logs;

public sealed class LogLimitsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddDays(20_000);

    private static LogLineRecord Line(string text) => new(Now, LogStream.Stderr, text);

    [Fact]
    public void Lines_within_the_cap_are_kept_as_they_are()
    {
        LogLineRecord[] lines = [Line("abc"), Line("de")];

        Assert.Same(lines, LogLimits.Cap(lines, 5, 0, Now));
    }

    [Fact]
    public void Past_the_cap_a_line_is_cut_at_a_character_and_a_platform_line_says_how_much()
    {
        var capped = LogLimits.Cap([Line("abc"), Line("dé€f"), Line("gone")], 6, 0, Now);

        // "dé€f" is 1 + 2 + 3 + 1 bytes: after "abc", 3 bytes are left and "dé" fills them; 4 of it and "gone" are cut.
        Assert.Equal(["abc", "dé", "log cut: 8 more bytes were written than the 6-byte log of one execution keeps"], capped.Select(l => l.Text));
        Assert.Equal(LogStream.Platform, capped[^1].Stream);
    }

    [Fact]
    public void Bytes_the_sink_already_dropped_are_counted_in_the_note()
    {
        var capped = LogLimits.Cap([Line("abc")], 64, 100, Now);

        Assert.Equal(["abc", "log cut: 100 more bytes were written than the 64-byte log of one execution keeps"], capped.Select(l => l.Text));
    }

    [Fact]
    public void A_surrogate_pair_is_never_split()
    {
        var capped = LogLimits.Cap([Line("a😀b")], 3, 0, Now);

        Assert.Equal("a", capped[0].Text);
    }
}
