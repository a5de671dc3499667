using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Faas.Cli.Commands;

/// <summary>Examples of a command, shown at the end of its <c>--help</c> (not in the parent's list of commands).</summary>
public static class Examples
{
    private static readonly ConditionalWeakTable<Command, string[]> ByCommand = [];

    public static T WithExamples<T>(this T command, params string[] examples)
        where T : Command
    {
        ByCommand.AddOrUpdate(command, examples);
        return command;
    }

    /// <summary>Makes the root's help (which every command uses) end with the examples of the command asked about.</summary>
    public static void ShowInHelp(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard)
        {
            help.Action = new HelpWithExamples(standard);
        }
    }

    private sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exit = standard.Invoke(parseResult);
            if (ByCommand.TryGetValue(parseResult.CommandResult.Command, out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(examples.Length == 1 ? "Example:" : "Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  {example}");
                }

                output.WriteLine();
            }

            return exit;
        }
    }
}
