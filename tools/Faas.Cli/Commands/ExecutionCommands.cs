using System.CommandLine;
using Faas.Protos.V1;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary><c>faas exec get</c> and <c>faas exec ls</c>: execution records.</summary>
public static class ExecutionCommands
{
    public static Command Create()
    {
        var command = new Command("exec", "Execution records: status, timings, sizes, worker, error and stderr tail.");
        command.Subcommands.Add(Get());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Get()
    {
        var id = new Argument<string>("id") { Description = "The execution id (x-execution-id)" };
        var command = new Command("get", "Show one execution.") { id }.WithExamples("faas exec get 0193a6c2-…");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var execution = await new Executions.ExecutionsClient(context.Channel).GetExecutionAsync(
                new GetExecutionRequest { Id = parse.GetValue(id)! }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, execution, () =>
            {
                var grid = new Grid().AddColumn().AddColumn();
                void Row(string label, object? value)
                {
                    if (value is not (null or ""))
                    {
                        grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value.ToString()!));
                    }
                }

                Row("id", execution.Id);
                Row("function", $"{execution.Function} v{execution.Version}");
                Row("status", execution.Status);
                Row("kind", execution.Kind);
                Row("created", FunctionCommands.Time(execution.CreatedAt));
                Row("finished", FunctionCommands.Time(execution.FinishedAt));
                Row("queued", $"{execution.QueueMicros / 1000.0:0.###} ms");
                Row("ran", $"{execution.RunMicros / 1000.0:0.###} ms");
                Row("bytes", $"{execution.InputBytes} in, {execution.OutputBytes} out");
                Row("exit code", execution.ExitCode);
                Row("worker", execution.Worker);
                Row("trace", execution.TraceId);
                if (execution.Http is { } http)
                {
                    Row("http", $"{http.Method} {http.Path} → {http.StatusCode}");
                }

                Row("error", execution.Error);
                Row("stderr", execution.StderrTail);
                AnsiConsole.Write(grid);
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var function = new Option<string?>("--function") { Description = "Only this function's" }.CompletesFunctionNames();
        var status = new Option<ExecutionStatus?>("--status") { Description = "Only executions in this status (Succeeded, Failed, TimedOut, …)" };
        var limit = new Option<uint>("--limit") { Description = "At most this many, newest first", DefaultValueFactory = _ => 20 };
        var command = new Command("ls", "List executions, newest first.")
        {
            function, status, limit,
        }.WithExamples("faas exec ls --function echo", "faas exec ls --status Failed -o json");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var page = await new Executions.ExecutionsClient(context.Channel).ListExecutionsAsync(new ListExecutionsRequest
            {
                Function = parse.GetValue(function) ?? "",
                Status = parse.GetValue(status) ?? ExecutionStatus.Unspecified,
                PageSize = Math.Clamp(parse.GetValue(limit), 1, 500),
            }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, page, () =>
            {
                var table = GlobalOptions.Table("ID", "FUNCTION", "VERSION", "STATUS", "KIND", "CREATED", "RAN");
                foreach (var execution in page.Executions)
                {
                    table.AddCells(execution.Id, execution.Function, execution.Version, execution.Status, execution.Kind,
                        FunctionCommands.Time(execution.CreatedAt), $"{execution.RunMicros / 1000.0:0.###} ms");
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
