using System.CommandLine;
using Faas.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary><c>faas ls</c>, <c>get</c>, <c>versions</c> and <c>rm</c>.</summary>
public static class FunctionCommands
{
    public static Command List()
    {
        var command = new Command("ls", "List the tenant's functions with their latest version.").WithExamples("faas ls", "faas ls -o json | jq '.functions[].name'");
        command.Run(async (_, context, cancellationToken) =>
        {
            var client = new Functions.FunctionsClient(context.Channel);
            var all = new ListFunctionsResponse();
            var token = "";
            do
            {
                var page = await client.ListFunctionsAsync(new ListFunctionsRequest { PageSize = 500, PageToken = token }, cancellationToken: cancellationToken);
                all.Functions.Add(page.Functions);
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            GlobalOptions.Write(context, all, () =>
            {
                var table = GlobalOptions.Table("NAME", "VERSION", "STATE", "LANGUAGE", "HTTP", "UPDATED");
                foreach (var function in all.Functions)
                {
                    var latest = function.Latest;
                    table.AddCells(function.Name, latest?.Version, latest is null ? "" : State(latest.State), latest?.Language, Http(latest?.Config), Time(function.UpdatedAt));
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Get()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var command = new Command("get", "Show a function and its latest version.") { name }.WithExamples("faas get echo");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var function = await new Functions.FunctionsClient(context.Channel).GetFunctionAsync(
                new GetFunctionRequest { Name = parse.GetValue(name)! }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, function, () =>
            {
                var grid = new Grid().AddColumn().AddColumn();
                void Row(string label, object? value) => grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value?.ToString() ?? ""));
                Row("name", function.Name);
                Row("versions", function.VersionCount);
                Row("created", Time(function.CreatedAt));
                if (function.Latest is { } latest)
                {
                    Row("latest", $"{latest.Version} ({State(latest.State)}, {latest.Language})");
                    Row("module", latest.ModuleSha256);
                    Row("http", Http(latest.Config));
                    var config = latest.Config;
                    if (config is not null)
                    {
                        Row("limits", $"timeout {config.TimeoutMs} ms, memory {config.MemoryMb} MiB, maxConcurrency {config.MaxConcurrency}, queueCapacity {config.QueueCapacity}");
                        Row("mode", config.Mode);
                    }

                    if (latest.Description.Length > 0)
                    {
                        Row("description", latest.Description);
                    }
                }

                AnsiConsole.Write(grid);
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Versions()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var command = new Command("versions", "List a function's versions, newest first.") { name }.WithExamples("faas versions echo");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var client = new Functions.FunctionsClient(context.Channel);
            var all = new ListFunctionVersionsResponse();
            var token = "";
            do
            {
                var page = await client.ListFunctionVersionsAsync(
                    new ListFunctionVersionsRequest { Name = parse.GetValue(name)!, PageSize = 500, PageToken = token }, cancellationToken: cancellationToken);
                all.Versions.Add(page.Versions);
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            GlobalOptions.Write(context, all, () =>
            {
                var table = GlobalOptions.Table("VERSION", "STATE", "LANGUAGE", "HTTP", "MODULE", "CREATED");
                foreach (var version in all.Versions)
                {
                    table.AddCells(version.Version, State(version.State), version.Language, Http(version.Config),
                        version.ModuleSha256.Length > 12 ? version.ModuleSha256[..12] : version.ModuleSha256, Time(version.CreatedAt));
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var version = new Option<uint?>("--version") { Description = "Delete only this version (not the latest, nor the one invocations run)" };
        var command = new Command("rm", "Delete a function with all its versions, or one version. Executions stay readable.")
        {
            name, version,
        }.WithExamples("faas rm echo", "faas rm echo --version 3");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var client = new Functions.FunctionsClient(context.Channel);
            var function = parse.GetValue(name)!;
            if (parse.GetValue(version) is { } number)
            {
                await client.DeleteFunctionVersionAsync(new DeleteFunctionVersionRequest { Name = function, Version = number }, cancellationToken: cancellationToken);
                Console.Error.WriteLine($"Deleted version {number} of {function}.");
            }
            else
            {
                await client.DeleteFunctionAsync(new DeleteFunctionRequest { Name = function }, cancellationToken: cancellationToken);
                Console.Error.WriteLine($"Deleted {function}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static string State(VersionState state) => state switch
    {
        VersionState.Building => "building",
        VersionState.Ready => "ready",
        VersionState.BuildFailed => "build failed",
        _ => "",
    };

    private static string Http(FunctionConfig? config) => config?.Http is null ? "" : config.Http.Public ? "public" : "yes";

    public static string Time(Timestamp? timestamp) =>
        timestamp is null ? "" : timestamp.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
