using System.CommandLine;
using Faas.Protos.V1;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary><c>faas login</c>: checks a credential against the gateway and stores it with the gateway's address.</summary>
public static class LoginCommand
{
    public static Command Create()
    {
        var key = new Option<string?>("--key") { Description = "An API key (faas_...); `-` reads it from stdin" };
        var user = new Option<string?>("--user") { Description = "Log in as this user (email); the password is asked for, or read from stdin with --password-stdin" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from stdin" };
        var show = new Option<bool>("--show") { Description = "Show where the stored settings point and who they are, and change nothing" };
        var command = new Command("login", "Store the gateway's address and a credential for later commands (a per-user file, mode 0600).")
        {
            key, user, passwordStdin, show,
        }.WithExamples("faas login --url http://127.0.0.1:8081 --key faas_…", "faas login --user ada@example.com", "faas login --show");
        command.Run(async (parse, context, cancellationToken) =>
        {
            if (parse.GetValue(show))
            {
                var me = await new Auth.AuthClient(context.Channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: cancellationToken);
                GlobalOptions.Write(context, me, () => AnsiConsole.MarkupLineInterpolated(
                    $"{context.Url}: [bold]{me.Email}[/] ({me.Role}) of tenant {me.Tenant} ({me.TenantId}); settings in {context.SettingsPath}"));
                return ExitCodes.Ok;
            }

            var (token, email) = parse.GetValue(user) is { Length: > 0 } name
                ? await LogInAsync(context.Url, name, parse.GetValue(passwordStdin), cancellationToken)
                : (ReadKey(parse.GetValue(key)), null);

            // Checked before it is stored: a wrong key is an error now, not at the next command.
            using var channel = CliContext.Open(context.Url, token);
            var identity = await new Auth.AuthClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: cancellationToken);
            var settings = context.Settings;
            settings.Url = context.Url;
            settings.Token = token;
            settings.Email = email ?? identity.Email;
            settings.Save(context.SettingsPath);
            GlobalOptions.Write(context, identity, () => AnsiConsole.MarkupLineInterpolated(
                $"Logged in to {context.Url} as [bold]{identity.Email}[/] ({identity.Role}) of tenant {identity.Tenant}; settings in {context.SettingsPath}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ReadKey(string? key)
    {
        if (key is null)
        {
            throw new CliException("Give --key (an API key, or - to read it from stdin) or --user.", ExitCodes.Usage);
        }

        var value = key == "-" ? Console.In.ReadToEnd().Trim() : key.Trim();
        return value.Length > 0 ? value : throw new CliException("The key is empty.", ExitCodes.Usage);
    }

    private static async Task<(string Token, string Email)> LogInAsync(string url, string email, bool passwordFromStdin, CancellationToken cancellationToken)
    {
        string password;
        if (passwordFromStdin)
        {
            password = (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n');
        }
        else if (Console.IsInputRedirected)
        {
            throw new CliException("No terminal to ask the password on: pipe it in with --password-stdin.", ExitCodes.Usage);
        }
        else
        {
            password = await AnsiConsole.PromptAsync(new TextPrompt<string>($"Password for {email}:").Secret(), cancellationToken);
        }

        using var anonymous = CliContext.Open(url, null);
        var response = await new Auth.AuthClient(anonymous).LoginAsync(new LoginRequest { Email = email, Password = password }, cancellationToken: cancellationToken);
        return (response.Token, email);
    }
}
