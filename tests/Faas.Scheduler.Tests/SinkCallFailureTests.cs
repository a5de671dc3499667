using System.Net.Sockets;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Scheduler.Tests;

/// <summary>The one reading of a failed sink call that the scheduler's Dispatch and the gateway's one hop both act on.</summary>
public sealed class SinkCallFailureTests
{
    private static RpcException Error(StatusCode code, Exception? debug = null) => new(new Status(code, "detail", debug));

    public static TheoryData<string, Exception, bool, bool, SinkCallFailure> Cases => new()
    {
        { "cancelled because the sink was declared gone", new OperationCanceledException(), true, false, SinkCallFailure.SinkLost },
        { "the call's CANCELLED because the sink was declared gone", Error(StatusCode.Cancelled), true, false, SinkCallFailure.SinkLost },
        { "the caller cancelled, the sink gone too", Error(StatusCode.Cancelled), true, true, SinkCallFailure.None },
        { "the caller cancelled", new OperationCanceledException(), false, true, SinkCallFailure.None },
        { "refused before running", SinkContract.NotRunError(StatusCode.Unavailable, "no runtime"), false, false, SinkCallFailure.NotRun },
        { "refused before running, the sink gone meanwhile", SinkContract.NotRunError(StatusCode.FailedPrecondition, "no runtime"), true, false, SinkCallFailure.NotRun },
        { "ran and lost the result", Error(StatusCode.Aborted), false, false, SinkCallFailure.ResultLost },
        { "connection refused", Error(StatusCode.Unavailable, new SocketException((int)SocketError.ConnectionRefused)), false, false, SinkCallFailure.NeverReached },
        { "could not connect", Error(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ConnectionError, "no")), false, false, SinkCallFailure.NeverReached },
        { "connection reset mid-call", Error(StatusCode.Unavailable, new SocketException((int)SocketError.ConnectionReset)), false, false, SinkCallFailure.Broken },
        { "UNAVAILABLE without a cause", Error(StatusCode.Unavailable), false, false, SinkCallFailure.Broken },
        { "INTERNAL", Error(StatusCode.Internal), false, false, SinkCallFailure.Broken },
        { "UNKNOWN", Error(StatusCode.Unknown), false, false, SinkCallFailure.Broken },
        { "deadline passed", Error(StatusCode.DeadlineExceeded), false, false, SinkCallFailure.None },
        { "a bad request", Error(StatusCode.InvalidArgument), false, false, SinkCallFailure.None },
        { "not a call error", new InvalidOperationException(), true, false, SinkCallFailure.None },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_failed_call_is_read_by_one_set_of_rules(string situation, Exception error, bool sinkLost, bool callerCancelled, SinkCallFailure expected)
    {
        var actual = SinkContract.ClassifyFailure(error, sinkLost, callerCancelled);
        Assert.True(actual == expected, $"{situation}: read as {actual}, expected {expected}");
    }
}
