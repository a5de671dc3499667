using System.CommandLine;
using Faas.Cli;
using Faas.Cli.Commands;

var root = new RootCommand(
    "faas: deploy, invoke and inspect functions on a Faas mesh. With no login it talks to the mesh of the checkout it runs in " +
    $"({CliContext.DefaultUrl}, .faas/admin.key).")
    .WithExamples("faas new c hello && cd hello && faas deploy && faas invoke hello --data Ada", "faas ls -o json");
root.Options.Add(GlobalOptions.Url);
root.Options.Add(GlobalOptions.Output);
root.Subcommands.Add(LoginCommand.Create());
root.Subcommands.Add(NewCommand.Create());
root.Subcommands.Add(FunctionCommands.List());
root.Subcommands.Add(FunctionCommands.Get());
root.Subcommands.Add(FunctionCommands.Versions());
root.Subcommands.Add(FunctionCommands.Remove());
root.Subcommands.Add(InvokeCommand.Create());
root.Subcommands.Add(OperationsCommands.Enqueue());
root.Subcommands.Add(DeployCommand.Create());
root.Subcommands.Add(ExecutionCommands.Create());
root.Subcommands.Add(LogsCommand.Create());
root.Subcommands.Add(SecretsCommand.Create());
root.Subcommands.Add(OperationsCommands.DeadLetters());
root.Subcommands.Add(OperationsCommands.Keys());
root.Subcommands.Add(OperationsCommands.Sinks());
root.Subcommands.Add(CompletionCommand.Create());
Examples.ShowInHelp(root);

return await root.Parse(args).InvokeAsync();
