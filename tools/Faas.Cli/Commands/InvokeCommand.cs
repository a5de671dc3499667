using System.CommandLine;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.Cli.Commands;

/// <summary><c>faas invoke</c> and <c>faas enqueue</c>.</summary>
public static class InvokeCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var data = new Option<string?>("--data", "-d") { Description = "The payload, as text" };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Read the payload from this file" };
        var version = new Option<uint>("--version") { Description = "Run this version (default: the latest ready one)" };
        var command = new Command("invoke",
            "Run a function and write its output to stdout. The payload is --data, --file, or stdin when it is piped; the execution id goes to stderr.")
        {
            name, data, file, version,
        }.WithExamples("faas invoke echo --data hello", "faas invoke resize --file photo.jpg > small.jpg", "echo '{\"a\":1}' | faas invoke api");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var payload = await PayloadAsync(parse.GetValue(data), parse.GetValue(file), cancellationToken);
            var call = new Invocations.InvocationsClient(context.Channel).InvokeAsync(
                new InvokeRequest { Name = parse.GetValue(name)!, Version = parse.GetValue(version), Body = new HttpBody { Data = payload } },
                cancellationToken: cancellationToken);
            try
            {
                var body = await call.ResponseAsync;
                Console.Error.WriteLine($"execution {ExecutionId(await call.ResponseHeadersAsync)}");
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(body.Data.Memory, cancellationToken);
                return ExitCodes.Ok;
            }
            catch (RpcException ex) when (ExecutionId(ex.Trailers) is { Length: > 0 } id)
            {
                // The run failed: say which execution, so `faas exec get` can show it.
                return GlobalOptions.Fail($"{GlobalOptions.Describe(ex)} (execution {id}; `faas exec get {id}` shows it)", ExitCodes.Of(ex.StatusCode));
            }
        });
        return command;
    }

    /// <summary>The payload from --data, --file or piped stdin (empty when none is given and stdin is a terminal).</summary>
    public static async Task<ByteString> PayloadAsync(string? data, FileInfo? file, CancellationToken cancellationToken)
    {
        if (data is not null && file is not null)
        {
            throw new CliException("Give the payload once: --data or --file.", ExitCodes.Usage);
        }

        if (data is not null)
        {
            return ByteString.CopyFromUtf8(data);
        }

        if (file is not null)
        {
            return file.Exists
                ? ByteString.CopyFrom(await File.ReadAllBytesAsync(file.FullName, cancellationToken))
                : throw new CliException($"No such file: {file.FullName}", ExitCodes.Usage);
        }

        if (!Console.IsInputRedirected)
        {
            return ByteString.Empty;
        }

        await using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string ExecutionId(Metadata metadata) => metadata.GetValue("x-execution-id") ?? "";
}
