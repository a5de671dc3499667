using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Storage.Secrets;
using Google.Protobuf;
using Grpc.Core;
using DomainOutcome = Faas.Wasm.Execution.ExecutionOutcome;
using ProtoOutcome = Faas.Protos.V1.ExecutionOutcome;

namespace Faas.Worker.Grpc;

/// <summary>Proto ↔ domain for executions.</summary>
internal static class ExecutionMapping
{
    public const string ExecutionIdHeader = "x-execution-id";
    public const string TraceIdHeader = "x-trace-id";

    public static ExecutionRequest ToExecutionRequest(this ExecuteRequest request, Metadata headers, FunctionSecrets secrets) =>
        ToExecutionRequest(
            request.Function, request.Payload, secrets,
            RequireExecutionId(headers.GetValue(ExecutionIdHeader)),
            headers.GetValue(TraceIdHeader) ?? Activity.Current?.TraceId.ToHexString() ?? "");

    /// <summary>A call on the multiplexed stream: the ids travel in the message instead of the metadata.</summary>
    public static ExecutionRequest ToExecutionRequest(ExecuteStreamRequest message, FunctionSecrets secrets) =>
        ToExecutionRequest(
            message.Request?.Function, message.Request?.Payload ?? ByteString.Empty, secrets,
            RequireExecutionId(message.ExecutionId),
            string.IsNullOrEmpty(message.TraceId) ? Activity.Current?.TraceId.ToHexString() ?? "" : message.TraceId);

    /// <summary>A task pulled from the sink manager: its secrets are already in the function's environment.</summary>
    public static ExecutionRequest ToExecutionRequest(this SinkTask task, FunctionSecrets secrets) =>
        ToExecutionRequest(
            task.Function, task.Payload, secrets,
            RequireExecutionId(task.ExecutionId),
            string.IsNullOrEmpty(task.TraceId) ? Activity.Current?.TraceId.ToHexString() ?? "" : task.TraceId);

    /// <summary>Longest execution id accepted (a UUID is 36 characters).</summary>
    public const int MaxExecutionIdLength = 64;

    /// <summary>
    /// The caller assigns the execution id (its record, its logs and the run's <c>FAAS_EXECUTION_ID</c> must agree), so a
    /// call without one is refused rather than given one nobody else knows.
    /// </summary>
    private static string RequireExecutionId(string? executionId) =>
        string.IsNullOrEmpty(executionId)
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, $"The execution id is required ({ExecutionIdHeader} on a unary call, execution_id on the stream or a task)."))
            : executionId.Length > MaxExecutionIdLength || executionId.Any(c => c is < '!' or > '~')
                ? throw new RpcException(new Status(StatusCode.InvalidArgument, $"The execution id is 1 to {MaxExecutionIdLength} visible ASCII characters."))
                : executionId;

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
    };

    public static ProtoOutcome ToProto(this DomainOutcome outcome) => outcome switch
    {
        DomainOutcome.Ok => ProtoOutcome.Ok,
        DomainOutcome.ExitedNonZero => ProtoOutcome.ExitedNonZero,
        DomainOutcome.Trapped => ProtoOutcome.Trapped,
        DomainOutcome.Timeout => ProtoOutcome.Timeout,
        DomainOutcome.OutOfMemory => ProtoOutcome.OutOfMemory,
        DomainOutcome.InstantiationFailed => ProtoOutcome.InstantiationFailed,
        _ => ProtoOutcome.Unspecified,
    };
}
