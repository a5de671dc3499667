using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Faas.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Faas.Cli.Commands;

/// <summary><c>faas logs</c>: a function's log lines, followed live with <c>-f</c>.</summary>
public static partial class LogsCommand
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default);

    public static Command Create()
    {
        var name = new Argument<string>("function") { Description = "The function's name" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines as they come, until Ctrl+C" };
        var since = new Option<string?>("--since")
        {
            Description = "Only lines written since this long ago (30s, 10m, 2h, 7d) or this time (2026-12-07T10:00:00Z)",
        };
        var tail = new Option<uint?>("--tail", "-n") { Description = "Start with the last this many lines (default 100; 0 with -f: only new ones)" };
        var execution = new Option<string?>("--execution", "-e") { Description = "Only the lines of this execution" };
        var command = new Command("logs", "Print a function's log: what its runs wrote to stderr (and asynchronous runs' stdout), each line with its time, execution and version.")
        {
            name, follow, since, tail, execution,
        }.WithExamples("faas logs hello -f", "faas logs hello --since 10m", "faas logs hello --execution 0193a6c2-… -o json");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var request = new ReadLogsRequest
            {
                Name = parse.GetValue(name)!,
                Follow = parse.GetValue(follow),
                ExecutionId = parse.GetValue(execution) ?? "",
            };
            if (parse.GetValue(since) is { } text)
            {
                request.Since = Timestamp.FromDateTimeOffset(ParseSince(text, DateTimeOffset.UtcNow));
            }

            if (parse.GetValue(tail) is { } lines)
            {
                request.Tail = lines;
            }

            using var call = new Protos.V1.Logs.LogsClient(context.Channel).ReadLogs(request, cancellationToken: cancellationToken);
            try
            {
                await foreach (var entry in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    Console.Out.WriteLine(context.Output == OutputFormat.Json ? Json.Format(entry) : Format(entry));
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C while following: the end the user asked for.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One line for people: local time, execution, version, then the text (marked when it is not stderr).</summary>
    public static string Format(LogEntry entry)
    {
        var time = entry.Time.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var marker = entry.Stream switch
        {
            Protos.V1.LogStream.Stdout => "[stdout] ",
            Protos.V1.LogStream.Platform => "[faas] ",
            _ => "",
        };
        return $"{time}  {entry.ExecutionId}  v{entry.Version}  {marker}{Printable(entry.Text)}";
    }

    /// <summary>
    /// The text with control characters (an escape sequence that would drive the terminal, a carriage return that
    /// would overwrite the line) shown as <c>\xNN</c>: a line may carry what a function's callers sent it.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c != '\t'))
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\t')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary><c>30s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c> before <paramref name="now"/>, or a point in time (UTC unless it says otherwise).</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        var match = Duration().Match(text.Trim());
        if (match.Success)
        {
            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return now - match.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        throw new CliException($"--since takes a duration (30s, 10m, 2h, 7d) or a time (2026-12-07T10:00:00Z), not '{text}'.", ExitCodes.Usage);
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([smhd])$")]
    private static partial Regex Duration();
}
