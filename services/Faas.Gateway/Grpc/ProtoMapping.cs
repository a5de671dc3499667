using Faas.Storage.Model;
using Google.Protobuf.WellKnownTypes;
using Proto = Faas.Protos.V1;

namespace Faas.Gateway.Grpc;

/// <summary>Between the public contract and the domain. Absent config fields take their defaults here.</summary>
public static class ProtoMapping
{
    private static readonly FunctionConfig Defaults = new();

    public static FunctionConfig ToDomain(Proto.FunctionConfig? config) => config is null ? Defaults : new FunctionConfig
    {
        TimeoutMs = config.HasTimeoutMs ? (int)Math.Min(config.TimeoutMs, int.MaxValue) : Defaults.TimeoutMs,
        MemoryMb = config.HasMemoryMb ? (int)Math.Min(config.MemoryMb, int.MaxValue) : Defaults.MemoryMb,
        MaxConcurrency = config.HasMaxConcurrency ? (int)Math.Min(config.MaxConcurrency, int.MaxValue) : Defaults.MaxConcurrency,
        QueueCapacity = config.HasQueueCapacity ? (int)Math.Min(config.QueueCapacity, int.MaxValue) : Defaults.QueueCapacity,
        MaxRetries = config.HasMaxRetries ? (int)Math.Min(config.MaxRetries, int.MaxValue) : Defaults.MaxRetries,
        Mode = config.Mode == Proto.ExecutionMode.Job ? ExecutionMode.Job : ExecutionMode.Warm,
        Env = new Dictionary<string, string>(config.Env, StringComparer.Ordinal),
        MinWarm = config.HasMinWarm ? (int)Math.Min(config.MinWarm, int.MaxValue) : Defaults.MinWarm,
        MaxWarm = config.HasMaxWarm ? (int)Math.Min(config.MaxWarm, int.MaxValue) : Defaults.MaxWarm,
        Idempotent = config.HasIdempotent ? config.Idempotent : Defaults.Idempotent,
        Http = config.Http is { } http ? new HttpConfig { Public = http.Public } : null,
    };

    public static Proto.FunctionConfig ToProto(FunctionConfig config)
    {
        var proto = new Proto.FunctionConfig
        {
            TimeoutMs = (uint)config.TimeoutMs,
            MemoryMb = (uint)config.MemoryMb,
            MaxConcurrency = (uint)config.MaxConcurrency,
            QueueCapacity = (uint)config.QueueCapacity,
            MaxRetries = (uint)config.MaxRetries,
            Mode = config.Mode == ExecutionMode.Job ? Proto.ExecutionMode.Job : Proto.ExecutionMode.Warm,
            MinWarm = (uint)config.MinWarm,
            MaxWarm = (uint)config.MaxWarm,
            Idempotent = config.Idempotent,
            Http = config.Http is { } http ? new Proto.HttpConfig { Public = http.Public } : null,
        };
        foreach (var (key, value) in config.Env)
        {
            proto.Env[key] = value;
        }

        proto.SecretNames.Add(config.SecretNames);
        return proto;
    }

    public static Proto.FunctionVersion ToProto(FunctionVersion version, BuildRecord? build)
    {
        var proto = ToProto(version);
        proto.Build = build is null ? null : ToProto(build);
        return proto;
    }

    public static Proto.Build ToProto(BuildRecord build)
    {
        var proto = new Proto.Build
        {
            State = build.State switch
            {
                BuildState.Queued => Proto.BuildState.Queued,
                BuildState.Running => Proto.BuildState.Running,
                BuildState.Succeeded => Proto.BuildState.Succeeded,
                _ => Proto.BuildState.Failed,
            },
            SourceSha256 = build.SourceSha256,
            CacheHit = build.CacheHit,
            Error = build.Error,
            Log = build.Log,
            Toolchain = build.Toolchain,
            Attempts = (uint)build.Attempts,
            QueuedAt = Timestamp.FromDateTimeOffset(build.QueuedAt),
            StartedAt = build.StartedAt is { } started ? Timestamp.FromDateTimeOffset(started) : null,
            FinishedAt = build.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
            EntryFile = build.EntryFile ?? "",
        };
        proto.Diagnostics.Add(build.Diagnostics.Select(d => new Proto.BuildDiagnostic
        {
            File = d.File ?? "",
            Line = (uint)Math.Max(0, d.Line),
            Column = (uint)Math.Max(0, d.Column),
            Severity = d.Severity,
            Message = d.Message,
        }));
        return proto;
    }

    public static Proto.FunctionVersion ToProto(FunctionVersion version) => new()
    {
        Function = version.FunctionName,
        Version = (uint)version.Version,
        Language = version.Language,
        State = version.State switch
        {
            VersionState.Ready => Proto.VersionState.Ready,
            VersionState.Building => Proto.VersionState.Building,
            _ => Proto.VersionState.BuildFailed,
        },
        ModuleSha256 = version.ModuleSha256 ?? "",
        ModuleSizeBytes = (ulong)version.ModuleSizeBytes,
        Config = ToProto(version.Config),
        Description = version.Description,
        CreatedAt = Timestamp.FromDateTimeOffset(version.CreatedAt),
    };

    public static Proto.Function ToProto(FunctionSummary function, BuildRecord? latestBuild = null) => new()
    {
        Name = function.Name,
        CreatedAt = Timestamp.FromDateTimeOffset(function.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(function.UpdatedAt),
        Latest = function.Latest is null ? null : ToProto(function.Latest, latestBuild),
        VersionCount = (uint)function.VersionCount,
    };

    public static Proto.Execution ToProto(Execution execution)
    {
        var proto = ToProtoCore(execution);
        proto.Attempts.Add(execution.AttemptLog.Select(a => new Proto.ExecutionAttempt
        {
            Number = (uint)a.Number,
            StartedAt = a.StartedAt is { } started ? Timestamp.FromDateTimeOffset(started) : null,
            FinishedAt = a.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
            Worker = a.Worker,
            Outcome = a.Outcome,
            Error = a.Error,
            ExitCode = a.ExitCode,
            RunMicros = (ulong)a.RunMicros,
        }));
        if (execution.Callback is { } callback)
        {
            proto.Callback = new Proto.CallbackDelivery
            {
                Url = callback.Url,
                State = callback.State switch
                {
                    CallbackState.Delivered => Proto.CallbackState.CallbackDelivered,
                    CallbackState.Failed => Proto.CallbackState.CallbackFailed,
                    _ => Proto.CallbackState.CallbackPending,
                },
                Attempts = (uint)callback.Attempts,
                LastError = callback.LastError,
                LastStatusCode = callback.LastStatusCode,
                DeliveredAt = callback.DeliveredAt is { } delivered ? Timestamp.FromDateTimeOffset(delivered) : null,
            };
        }

        return proto;
    }

    private static Proto.Execution ToProtoCore(Execution execution) => new()
    {
        Id = execution.Id.ToString(),
        Function = execution.FunctionName,
        Version = (uint)execution.Version,
        Status = ToProto(execution.Status),
        CreatedAt = Timestamp.FromDateTimeOffset(execution.CreatedAt),
        FinishedAt = execution.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
        QueueMicros = (ulong)execution.QueueMicros,
        RunMicros = (ulong)execution.RunMicros,
        InputBytes = (ulong)execution.InputBytes,
        OutputBytes = (ulong)execution.OutputBytes,
        ExitCode = execution.ExitCode,
        Error = execution.Error,
        StderrTail = execution.StderrTail,
        Worker = execution.Worker,
        TraceId = execution.TraceId,
        Kind = execution.Kind == ExecutionKind.Async ? "async" : "sync",
        MaxRetries = (uint)execution.MaxRetries,
        IdempotencyKey = execution.IdempotencyKey ?? "",
        NextAttemptAt = execution.NextAttemptAt is { } next ? Timestamp.FromDateTimeOffset(next) : null,
        Redrives = (uint)execution.Redrives,
        HasOutput = execution.HasOutput,
        Http = execution.Http is { } http ? new Proto.HttpExchange { Method = http.Method, Path = http.Path, StatusCode = (uint)http.StatusCode } : null,
    };

    public static Proto.ExecutionStatus ToProto(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Queued => Proto.ExecutionStatus.Queued,
        ExecutionStatus.Running => Proto.ExecutionStatus.Running,
        ExecutionStatus.Succeeded => Proto.ExecutionStatus.Succeeded,
        ExecutionStatus.Failed => Proto.ExecutionStatus.Failed,
        ExecutionStatus.TimedOut => Proto.ExecutionStatus.TimedOut,
        ExecutionStatus.DeadLettered => Proto.ExecutionStatus.DeadLettered,
        ExecutionStatus.Rejected => Proto.ExecutionStatus.Rejected,
        ExecutionStatus.Cancelled => Proto.ExecutionStatus.Cancelled,
        _ => Proto.ExecutionStatus.Unspecified,
    };

    public static ExecutionStatus? ToDomain(Proto.ExecutionStatus status) => status switch
    {
        Proto.ExecutionStatus.Unspecified => null,
        Proto.ExecutionStatus.Queued => ExecutionStatus.Queued,
        Proto.ExecutionStatus.Running => ExecutionStatus.Running,
        Proto.ExecutionStatus.Succeeded => ExecutionStatus.Succeeded,
        Proto.ExecutionStatus.Failed => ExecutionStatus.Failed,
        Proto.ExecutionStatus.TimedOut => ExecutionStatus.TimedOut,
        Proto.ExecutionStatus.DeadLettered => ExecutionStatus.DeadLettered,
        Proto.ExecutionStatus.Rejected => ExecutionStatus.Rejected,
        Proto.ExecutionStatus.Cancelled => ExecutionStatus.Cancelled,
        _ => throw new Errors.InvalidRequestException($"Unknown execution status {(int)status}."),
    };
}
