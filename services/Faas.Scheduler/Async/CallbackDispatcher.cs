using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Faas.Queues;
using Faas.ServiceDefaults.Destinations;
using Faas.ServiceDefaults.Retries;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using CallbackState = Faas.Storage.Model.CallbackState;
using CallbackTask = Faas.Protos.V1.CallbackTask;
using Execution = Faas.Storage.Model.Execution;
using ExecutionStatus = Faas.Storage.Model.ExecutionStatus;

namespace Faas.Scheduler.Async;

/// <summary>
/// Delivers finished executions to their callback URLs from the reliable queue <c>callbacks</c>: a JSON
/// POST, retried with exponential backoff and jitter until a 2xx answer or the last attempt, only to addresses
/// the <see cref="DestinationPolicy"/> allows (a refused destination or a redirect fails at once). Every
/// attempt's result is written to the execution, so the delivery state is always visible.
/// </summary>
public sealed partial class CallbackDispatcher : BackgroundService
{
    public const string HttpClientName = "callbacks";

    private readonly ReliableQueues queues;
    private readonly ExecutionStore executions;
    private readonly IHttpClientFactory httpClients;
    private readonly TimeProvider timeProvider;
    private readonly AsyncOptions options;
    private readonly ILogger<CallbackDispatcher> logger;
    private readonly string consumer = $"{Environment.MachineName}:{Environment.ProcessId}:callbacks";
    private readonly Counter<long> deliveries;

    public CallbackDispatcher(
        ReliableQueues queues, ExecutionStore executions, IHttpClientFactory httpClients, TimeProvider timeProvider,
        IOptions<AsyncOptions> options, IMeterFactory meterFactory, ILogger<CallbackDispatcher> logger)
    {
        this.queues = queues;
        this.executions = executions;
        this.httpClients = httpClients;
        this.timeProvider = timeProvider;
        this.options = options.Value;
        this.logger = logger;
        deliveries = meterFactory.Create(SchedulerTelemetry.MeterName)
            .CreateCounter<long>("faas.async.callbacks", description: "Callback delivery attempts by result (delivered, retrying, failed)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        var queue = queues.Get(QueueNames.Callbacks);
        using var slots = new SemaphoreSlim(options.CallbackMaxInFlight);
        var lease = options.CallbackTimeout * 2 + TimeSpan.FromSeconds(5);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                IReadOnlyList<LeasedMessage> messages;
                try
                {
                    messages = await queue.LeaseWhenAvailableAsync(consumer, 1, lease, stoppingToken).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                var message = messages[0];
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await DeliverAsync(queue, message, stoppingToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                LogQueueUnavailable(logger, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeliverAsync(ReliableQueue queue, LeasedMessage message, CancellationToken stoppingToken)
    {
        try
        {
            var task = CallbackTask.Parser.ParseFrom(message.Payload);
            var execution = await executions.GetByIdAsync(Guid.Parse(task.ExecutionId), stoppingToken).ConfigureAwait(false);
            if (execution is null || execution.Callback?.State == CallbackState.Delivered)
            {
                await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
                return;
            }

            var output = execution.HasOutput
                ? await executions.GetOutputAsync(execution.TenantId, execution.Id, stoppingToken).ConfigureAwait(false)
                : null;
            var (statusCode, error, final) = await PostAsync(task.Url, execution, output, message.Attempt, stoppingToken).ConfigureAwait(false);
            if (error is null)
            {
                await executions.UpdateCallbackAsync(execution.Id, CallbackState.Delivered, message.Attempt, "", statusCode, timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                deliveries.Add(1, new KeyValuePair<string, object?>("result", "delivered"));
                await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
                return;
            }

            if (message.Attempt < options.CallbackMaxAttempts && !final)
            {
                await executions.UpdateCallbackAsync(execution.Id, CallbackState.Pending, message.Attempt, error, statusCode, null, CancellationToken.None).ConfigureAwait(false);
                deliveries.Add(1, new KeyValuePair<string, object?>("result", "retrying"));
                await queue.NackAsync(message.Id, message.LeaseToken, Backoff.Delay(message.Attempt, options.CallbackRetryBaseDelay, options.MaxRetryDelay)).ConfigureAwait(false);
                return;
            }

            await executions.UpdateCallbackAsync(execution.Id, CallbackState.Failed, message.Attempt, error, statusCode, null, CancellationToken.None).ConfigureAwait(false);
            deliveries.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            LogCallbackFailed(logger, execution.Id, task.Url, message.Attempt, error);
            await queue.AckAsync(message.Id, message.LeaseToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or Npgsql.NpgsqlException or TimeoutException or InvalidProtocolBufferException or FormatException)
        {
            LogDeliveryBroken(logger, message.Id, ex.Message); // the lease runs out and it is tried again
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>The answer's status code (0 for none), the error (null when delivered), and whether trying again cannot help.</returns>
    private async Task<(int StatusCode, string? Error, bool Final)> PostAsync(string url, Execution execution, byte[]? output, int attempt, CancellationToken stoppingToken)
    {
        var body = new CallbackBody(
            execution.Id.ToString(), execution.FunctionName, execution.Version, Status(execution.Status), execution.Attempts,
            execution.Error, execution.ExitCode, execution.StderrTail, execution.CreatedAt, execution.FinishedAt,
            output is null ? null : Convert.ToBase64String(output), execution.HasOutput ? $"/v1/executions/{execution.Id}/output" : null);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            // Buffered, so the request has a Content-Length: not every receiver takes a chunked body.
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, CallbackJsonContext.Default.CallbackBody))
            {
                Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") },
            },
        };
        request.Headers.Add("X-Faas-Execution-Id", execution.Id.ToString());
        request.Headers.Add("X-Faas-Status", body.Status);
        request.Headers.Add("X-Faas-Delivery-Attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.CallbackTimeout);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            if (code is >= 300 and < 400)
            {
                // A redirect could lead anywhere, an address the destination policy refuses included.
                return (code, $"HTTP {code} {response.ReasonPhrase}: redirects are not followed", true);
            }

            return response.IsSuccessStatusCode ? (code, null, false) : (code, $"HTTP {code} {response.ReasonPhrase}", false);
        }
        catch (HttpRequestException ex) when (ex is DestinationRefusedException || ex.InnerException is DestinationRefusedException)
        {
            return (0, DestinationPolicy.RefusedMessage, true);
        }
        catch (HttpRequestException ex)
        {
            // The policy's own message when it could not connect (closed and filtered ports read the same).
            return (0, ex.InnerException is HttpRequestException inner ? inner.Message : ex.Message, false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (0, $"no answer within {options.CallbackTimeout.TotalSeconds:0.#} s", false);
        }
    }

    private static string Status(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Succeeded => "SUCCEEDED",
        ExecutionStatus.Failed => "FAILED",
        ExecutionStatus.TimedOut => "TIMED_OUT",
        ExecutionStatus.DeadLettered => "DEAD_LETTERED",
        _ => status.ToString().ToUpperInvariant(),
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Callback queue unavailable: {Reason}")]
    private static partial void LogQueueUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Callback of execution {ExecutionId} to {Url} failed for good after {Attempts} attempts: {Error}")]
    private static partial void LogCallbackFailed(ILogger logger, Guid executionId, string url, int attempts, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Callback {MessageId} could not be processed ({Reason}); it is tried again when its lease expires")]
    private static partial void LogDeliveryBroken(ILogger logger, string messageId, string reason);
}

/// <summary>The JSON body POSTed to a callback URL.</summary>
public sealed record CallbackBody(
    string ExecutionId,
    string Function,
    int Version,
    string Status,
    int Attempts,
    string Error,
    int ExitCode,
    string StderrTail,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    string? OutputBase64,
    string? OutputUrl);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CallbackBody))]
internal sealed partial class CallbackJsonContext : JsonSerializerContext;
