using System.Diagnostics;

namespace Faas.ServiceDefaults.Tracing;

/// <summary>
/// W3C <c>traceparent</c>, the one carrier of a trace between the services: a field of every execution request
/// (<c>DispatchRequest</c>, <c>ExecuteRequest</c>, a pulled task), read here the same way everywhere.
/// </summary>
public static class TraceContext
{
    /// <summary>The traceparent of the current span; empty outside one.</summary>
    public static string Current => Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : "";

    /// <summary>The context a call's span starts under: the caller's span, else none (the call starts a trace).</summary>
    public static ActivityContext ParentOf(string? traceparent) =>
        ActivityContext.TryParse(traceparent, null, isRemote: true, out var parent) ? parent : default;

    /// <summary>
    /// The server span of a call whose caller's traceparent came in its request: always for a call on a multiplexed stream
    /// (the stream's own span belongs to whoever opened it); for a unary call only when ASP.NET Core's server span is not
    /// already in that trace (a caller that sent the field without the header). Null when there is nothing to start.
    /// </summary>
    public static Activity? StartCall(ActivitySource source, string name, string? traceparent)
    {
        var parent = ParentOf(traceparent);
        return parent != default && Activity.Current is { } current && current.TraceId == parent.TraceId && current.Kind == ActivityKind.Server
            ? null
            : source.StartActivity(name, ActivityKind.Server, parent);
    }

    /// <summary>The trace id of <paramref name="traceparent"/>; empty when it is not one.</summary>
    public static string TraceIdOf(string? traceparent) =>
        ActivityContext.TryParse(traceparent, null, out var context) ? context.TraceId.ToHexString() : "";

    /// <summary>
    /// The context of a trace known only by its id (an asynchronous invocation queued before its traceparent was kept):
    /// a span started under it joins that trace.
    /// </summary>
    public static ActivityContext OfTraceId(string? traceId)
    {
        if (traceId is not { Length: 32 } || !traceId.All(char.IsAsciiHexDigitLower))
        {
            return default;
        }

        return new ActivityContext(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
    }
}
