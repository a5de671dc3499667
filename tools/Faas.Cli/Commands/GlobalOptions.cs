using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary>Options every command takes, and the one way a command runs: its errors printed plainly, with an exit code.</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"The gateway's gRPC address (default: FAAS_URL, then the one `faas login` stored, then {CliContext.DefaultUrl})",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Output = new("--output", "-o")
    {
        Description = "table (for people) or json (for scripts)",
        DefaultValueFactory = _ => OutputFormat.Table,
        Recursive = true,
    };

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation());

    /// <summary>Runs <paramref name="action"/> with the context the command line gives; errors become a message and an exit code.</summary>
    public static void Run(this Command command, Func<ParseResult, CliContext, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var context = new CliContext(parse.GetValue(Url), parse.GetValue(Output), CliSettings.DefaultPath());
                return await action(parse, context, cancellationToken);
            }
            catch (CliException ex)
            {
                return Fail(ex.Message, ex.ExitCode);
            }
            catch (RpcException ex)
            {
                return Fail(Describe(ex), ExitCodes.Of(ex.StatusCode));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }
            catch (IOException ex)
            {
                return Fail(ex.Message, ExitCodes.Usage);
            }
        });

    /// <summary>A gRPC error as a person reads it, with what to do where that is clear.</summary>
    public static string Describe(RpcException ex) => ex.StatusCode switch
    {
        // No answer from the gateway at all (the client's own transport failed), not an UNAVAILABLE the mesh sent.
        StatusCode.Unavailable when ex.Status.DebugException is not null =>
            $"cannot reach the gateway ({ex.Status.Detail}). Is the mesh running (`dotnet run --project Faas.AppHost`), and is --url / FAAS_URL its gRPC address?",
        StatusCode.Unauthenticated => $"{ex.Status.Detail} Log in with `faas login`, or set FAAS_TOKEN.",
        _ => ex.Status.Detail.Length > 0 ? ex.Status.Detail : ex.StatusCode.ToString(),
    };

    public static int Fail(string message, int exitCode)
    {
        Console.Error.WriteLine($"error: {message}");
        return exitCode;
    }

    /// <summary>Writes a message as JSON (the REST API's field names) or renders it for people.</summary>
    public static void Write(CliContext context, IMessage message, Action render)
    {
        if (context.Output == OutputFormat.Json)
        {
            Console.Out.WriteLine(Json.Format(message));
        }
        else
        {
            render();
        }
    }

    /// <summary>A table whose cells are plain text (nothing in them is read as markup).</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column));
        }

        return table;
    }

    public static void AddCells(this Table table, params object?[] cells) =>
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c?.ToString() ?? "")).ToArray());
}
