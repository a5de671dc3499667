using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.ServiceDefaults.Tracing;
using Faas.Sinks.Client;
using Faas.Storage.Secrets;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.Worker.Grpc;

/// <summary>Proto ↔ domain for executions.</summary>
internal static class ExecutionMapping
{
    /// <summary>A call (unary or on the stream): the execution id and the traceparent are fields of the request.</summary>
    public static ExecutionRequest ToExecutionRequest(this ExecuteRequest request, FunctionSecrets secrets) =>
        ToExecutionRequest(
            request.Function, request.Payload, secrets, SinkContract.RequireExecutionId(request.ExecutionId), TraceIdOf(request.Traceparent, ""));

    /// <summary>A task pulled from the sink manager: its secrets are already in the function's environment.</summary>
    public static ExecutionRequest ToExecutionRequest(this SinkTask task, FunctionSecrets secrets) =>
        ToExecutionRequest(task.Function, task.Payload, secrets, SinkContract.RequireExecutionId(task.ExecutionId), TraceIdOf(task.Traceparent, task.TraceId));

    /// <summary>The trace the run records: the caller's, else (a caller that sent none) the server span's own.</summary>
    private static string TraceIdOf(string traceparent, string traceId) =>
        TraceContext.TraceIdOf(traceparent) is { Length: > 0 } fromParent ? fromParent
        : traceId.Length > 0 ? traceId
        : Activity.Current?.TraceId.ToHexString() ?? "";

    private static ExecutionRequest ToExecutionRequest(FunctionSpec? function, ByteString payload, FunctionSecrets secrets, string executionId, string traceId)
    {
        if (function is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "function is required."));
        }

        var sha256 = function.ModuleSha256.ToLowerInvariant();
        if (!ModuleHash.IsValid(sha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "function.module_sha256 must be a sha256 in hex (64 digits)."));
        }

        return new ExecutionRequest
        {
            ModuleSha256 = sha256,
            FunctionName = function.Name,
            Version = function.Version,
            Payload = payload.Memory,
            TimeoutMs = (int)Math.Min(function.TimeoutMs, int.MaxValue),
            MemoryMb = (int)Math.Min(function.MemoryMb, int.MaxValue),
            Environment = string.IsNullOrEmpty(function.SealedSecrets) ? function.Env : WithSecrets(function.Env, secrets.Unseal(function.SealedSecrets)),
            ExecutionId = executionId,
            TraceId = traceId,
        };
    }

    /// <summary>The function's variables and its unsealed secrets: one environment, built per run and never logged.</summary>
    private static Dictionary<string, string> WithSecrets(IDictionary<string, string> env, IReadOnlyDictionary<string, string> secrets)
    {
        var all = new Dictionary<string, string>(env, StringComparer.Ordinal);
        foreach (var (key, value) in secrets)
        {
            all[key] = value;
        }

        return all;
    }

    public static ExecuteResponse ToResponse(this ExecutionResult result, string worker, TimeSpan handlerTime) => new()
    {
        Outcome = result.Outcome.ToProto(),
        Output = UnsafeByteOperations.UnsafeWrap(result.Output),
        ExitCode = result.ExitCode,
        Error = result.Error ?? "",
        StderrTail = result.StderrTail,
        Worker = worker,
        RunMicros = (ulong)result.RunMicros,
        HandlerMicros = (ulong)(handlerTime.Ticks / TimeSpan.TicksPerMicrosecond),
        Cold = result.Cold,
        Log = { result.Log.Select(l => new LogLine { TimeUnixMicros = (l.Time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond, Text = l.Text }) },
        LogDroppedBytes = (ulong)result.LogDroppedBytes,
    };
}
