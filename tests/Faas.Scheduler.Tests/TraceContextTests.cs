using System.Diagnostics;
using Faas.ServiceDefaults.Tracing;

namespace Faas.Scheduler.Tests;

/// <summary>
/// A caller's <c>traceparent</c> reaches every hop (and, as its trace id, the function's <c>FAAS_TRACE_ID</c> and the
/// execution record): only a well-formed W3C value is ever read from it.
/// </summary>
public class TraceContextTests
{
    private const string Valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    public static TheoryData<string> Hostile => new()
    {
        "",
        "not a traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nFAAS_SECRET=x",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e47=6-00f067aa0ba902b7-01",
        "00-" + new string('a', 4096) + "-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736;rm -rf /-00f067aa0ba902b7-01",
    };

    [Fact]
    public void A_well_formed_traceparent_gives_its_trace_id_and_parent()
    {
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.TraceIdOf(Valid));
        Assert.Equal("00f067aa0ba902b7", TraceContext.ParentOf(Valid).SpanId.ToHexString());
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_malformed_traceparent_gives_no_trace_id_and_starts_a_trace_of_its_own(string traceparent)
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == nameof(TraceContextTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource(nameof(TraceContextTests));

        using var call = TraceContext.StartCall(source, "call", traceparent);

        Assert.Equal("", TraceContext.TraceIdOf(traceparent));
        Assert.Equal(default, TraceContext.ParentOf(traceparent));
        Assert.NotNull(call);
        Assert.Equal(32, call.TraceId.ToHexString().Length);
        Assert.DoesNotContain(call.TraceId.ToHexString(), traceparent, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(default, call.ParentSpanId);
    }
}
