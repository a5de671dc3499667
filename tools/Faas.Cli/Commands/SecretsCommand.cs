using System.CommandLine;
using Faas.Protos.V1;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary>
/// <c>faas secrets ls|set|rm</c>: a function's secrets. Setting or removing one makes a new version with the latest
/// version's module, config and env (no build); values never come back.
/// </summary>
public static class SecretsCommand
{
    public static Command Create()
    {
        var command = new Command("secrets", "A function's secrets: listed by name only; set and rm make a new version (no build) with the change.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Argument<string> FunctionArgument() => new("function") { Description = "The function's name" };

    private static Command List()
    {
        var function = FunctionArgument();
        var command = new Command("ls", "List the names of the secrets of a function's latest version.") { function }
            .WithExamples("faas secrets ls hook", "faas secrets ls hook -o json");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var found = await new Functions.FunctionsClient(context.Channel).GetFunctionAsync(
                new GetFunctionRequest { Name = parse.GetValue(function)! }, cancellationToken: cancellationToken);
            var latest = found.Latest;
            GlobalOptions.Write(context, latest?.Config ?? new FunctionConfig(), () =>
            {
                var table = GlobalOptions.Table("SECRET", "VERSION");
                foreach (var name in latest?.Config?.SecretNames ?? [])
                {
                    table.AddCells(name, latest!.Version);
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Set()
    {
        var function = FunctionArgument();
        var pairs = new Argument<string[]>("secrets")
        {
            Description = "NAME=value, or NAME alone to take the value of the environment variable NAME (keeps it out of shell history)",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("set", "Add or replace secrets: a new version of the function, with the latest's module and config.")
        {
            function, pairs,
        }.WithExamples("faas secrets set hook WEBHOOK_SECRET", "faas secrets set api DB_PASSWORD=hunter2 TOKEN");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var request = new UpdateFunctionSecretsRequest { Name = parse.GetValue(function)! };
            foreach (var pair in parse.GetValue(pairs)!)
            {
                var (name, value) = Split(pair);
                request.Set[name] = value;
            }

            return await UpdateAsync(context, request, cancellationToken);
        });
        return command;
    }

    private static Command Remove()
    {
        var function = FunctionArgument();
        var names = new Argument<string[]>("names") { Description = "Secrets to remove", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove secrets: a new version of the function without them.") { function, names }
            .WithExamples("faas secrets rm hook OLD_SECRET");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var request = new UpdateFunctionSecretsRequest { Name = parse.GetValue(function)! };
            request.Remove.AddRange(parse.GetValue(names)!);
            return await UpdateAsync(context, request, cancellationToken);
        });
        return command;
    }

    private static async Task<int> UpdateAsync(CliContext context, UpdateFunctionSecretsRequest request, CancellationToken cancellationToken)
    {
        var version = await new Functions.FunctionsClient(context.Channel).UpdateFunctionSecretsAsync(request, cancellationToken: cancellationToken);
        GlobalOptions.Write(context, version, () =>
            Console.Error.WriteLine($"{version.Function} is now version {version.Version}, with secrets: {(version.Config.SecretNames.Count == 0 ? "none" : string.Join(", ", version.Config.SecretNames))}."));
        return ExitCodes.Ok;
    }

    /// <summary><c>NAME=value</c>, or <c>NAME</c> with the value of the environment variable of that name.</summary>
    public static (string Name, string Value) Split(string pair)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0)
        {
            return (pair[..equals], pair[(equals + 1)..]);
        }

        if (equals == 0)
        {
            throw new CliException($"'{pair}' names no secret: write NAME=value, or NAME to take the environment variable's value.", ExitCodes.Usage);
        }

        return (pair, Environment.GetEnvironmentVariable(pair)
            ?? throw new CliException($"{pair} is not set in the environment: write {pair}=value, or export {pair} first.", ExitCodes.Usage));
    }
}
