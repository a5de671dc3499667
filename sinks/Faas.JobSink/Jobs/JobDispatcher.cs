using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Sinks.Client;
using Faas.Storage.Secrets;
using Google.Protobuf;

namespace Faas.JobSink.Jobs;

/// <summary>
/// Runs a JOB-mode invocation (one that already holds its function's concurrency slot) through the configured
/// <see cref="IJobLauncher"/>, and reports it as a worker would: the same <see cref="ExecuteResponse"/>, with
/// <c>job:&lt;container&gt;</c> as the worker.
/// </summary>
public sealed partial class JobDispatcher
{
    private const int DefaultTimeoutMs = 30_000;
    private const int DefaultMemoryMb = 128;

    private readonly IJobLauncher launcher;
    private readonly FunctionSecrets secrets;
    private readonly ILogger<JobDispatcher> logger;
    private readonly Counter<long> launches;
    private readonly Histogram<double> duration;

    public JobDispatcher(IJobLauncher launcher, FunctionSecrets secrets, IMeterFactory meterFactory, ILogger<JobDispatcher> logger)
    {
        this.launcher = launcher;
        this.secrets = secrets;
        this.logger = logger;
        var meter = meterFactory.Create(JobSinkTelemetry.MeterName);
        launches = meter.CreateCounter<long>("faas.jobs.launches", description: "JOB-mode invocations launched, by outcome");
        duration = meter.CreateHistogram<double>("faas.jobs.launch.duration", unit: "ms", description: "Time from launch to result of JOB-mode invocations, container start and removal included", advice: LatencyBuckets.Milliseconds);
    }

    private IReadOnlyDictionary<string, string> Unseal(string sealedSecrets)
    {
        try
        {
            return secrets.Unseal(sealedSecrets);
        }
        catch (SecretsUnavailableException e)
        {
            throw new JobLauncherUnavailableException(e.Message);
        }
    }

    /// <summary>The worker name of a JOB-mode run in results and execution records.</summary>
    public static string WorkerName(string container) => "job:" + container;

    public async Task<ExecuteResponse> RunAsync(
        string executionId, string traceId, FunctionSpec function, ByteString payload, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        var container = "none";
        try
        {
            var run = await launcher.RunAsync(new JobInvocation
            {
                ExecutionId = executionId,
                TraceId = traceId,
                FunctionName = function.Name,
                FunctionId = function.FunctionId,
                Version = function.Version,
                ModuleSha256 = function.ModuleSha256,
                TimeoutMs = function.TimeoutMs > 0 ? (int)Math.Min(function.TimeoutMs, int.MaxValue) : DefaultTimeoutMs,
                MemoryMb = function.MemoryMb > 0 ? (int)Math.Min(function.MemoryMb, int.MaxValue) : DefaultMemoryMb,
                Environment = function.Env,
                Secrets = string.IsNullOrEmpty(function.SealedSecrets) ? new Dictionary<string, string>() : Unseal(function.SealedSecrets),
                Payload = payload.Memory,
            }, onStarted, cancellationToken).ConfigureAwait(false);
            var response = new ExecuteResponse
            {
                Outcome = run.Outcome.ToProto(),
                Output = ByteString.CopyFrom(run.Output.Span),
                ExitCode = run.ExitCode,
                Error = run.Error ?? "",
                StderrTail = run.StderrTail,
                Worker = run.Container,
                RunMicros = (ulong)Math.Max(0, run.RunMicros),
                HandlerMicros = (ulong)(Stopwatch.GetElapsedTime(started).Ticks / TimeSpan.TicksPerMicrosecond),
                Cold = true,
                Log = { run.Log.Select(l => new LogLine { TimeUnixMicros = (l.Time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond, Text = l.Text }) },
                LogDroppedBytes = (ulong)Math.Max(0, run.LogDroppedBytes),
            };
            outcome = response.Outcome.ToString();
            container = run.Prepared ? "prepared" : "created";
            LogJobFinished(logger, executionId, function.Name, run.Container, outcome, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (JobLauncherUnavailableException ex)
        {
            outcome = "unavailable";
            LogLauncherUnavailable(logger, executionId, function.Name, ex.Message);
            throw;
        }
        catch (JobFailedException ex)
        {
            LogJobFailed(logger, executionId, function.Name, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The launcher itself failed (module store unreachable, disk full, cluster API error): the run's fate is unknown.
            LogJobFailed(logger, executionId, function.Name, ex.Message);
            throw new JobFailedException("job launcher", ex.Message, ex);
        }
        finally
        {
            var tags = new TagList { { "outcome", outcome }, { "container", container } };
            launches.Add(1, tags);
            duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Execution {ExecutionId} of {Function} ran in {Container}: {Outcome} in {ElapsedMs:F1} ms")]
    private static partial void LogJobFinished(ILogger logger, string executionId, string function, string container, string outcome, double elapsedMs);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {Function} could not run: {Reason}")]
    private static partial void LogLauncherUnavailable(ILogger logger, string executionId, string function, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Execution {ExecutionId} of {Function} failed in its container: {Reason}")]
    private static partial void LogJobFailed(ILogger logger, string executionId, string function, string reason);
}
