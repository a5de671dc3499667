using System.CommandLine;
using Faas.Protos.V1;
using Google.Api;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary><c>faas enqueue</c>, <c>faas dlq</c>, <c>faas keys</c> and <c>faas sinks</c>.</summary>
public static class OperationsCommands
{
    public static Command Enqueue()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var data = new Option<string?>("--data", "-d") { Description = "The payload, as text" };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Read the payload from this file" };
        var key = new Option<string?>("--idempotency-key") { Description = "Enqueue at most once per key (a retry with the same key gets the first execution)" };
        var callback = new Option<string?>("--callback-url") { Description = "POST the result here when the run ends" };
        var command = new Command("enqueue", "Queue a run for later; prints the execution id (follow it with `faas exec get`).")
        {
            name, data, file, key, callback,
        }.WithExamples("faas enqueue resize --file photo.jpg", "faas enqueue report --data '{}' --idempotency-key 2026-12-07");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var payload = await InvokeCommand.PayloadAsync(parse.GetValue(data), parse.GetValue(file), cancellationToken);
            var response = await new Invocations.InvocationsClient(context.Channel).EnqueueAsync(new EnqueueRequest
            {
                Name = parse.GetValue(name)!,
                Body = new HttpBody { Data = payload },
                IdempotencyKey = parse.GetValue(key) ?? "",
                CallbackUrl = parse.GetValue(callback) ?? "",
            }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, response, () =>
                Console.Out.WriteLine(response.ExecutionId + (response.Deduplicated ? " (already enqueued with this idempotency key)" : "")));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command DeadLetters()
    {
        var name = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var list = new Command("ls", "List a function's dead-lettered executions, newest first.") { name }.WithExamples("faas dlq ls resize");
        list.Run(async (parse, context, cancellationToken) =>
        {
            var page = await new Invocations.InvocationsClient(context.Channel).ListDeadLettersAsync(
                new ListDeadLettersRequest { Name = parse.GetValue(name)!, PageSize = 500 }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, page, () =>
            {
                var table = GlobalOptions.Table("ID", "VERSION", "ATTEMPTS", "CREATED", "ERROR");
                foreach (var execution in page.Executions)
                {
                    table.AddCells(execution.Id, execution.Version, execution.Attempts.Count, FunctionCommands.Time(execution.CreatedAt), execution.Error);
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });

        var redriveName = new Argument<string>("name") { Description = "The function" }.CompletesFunctionNames();
        var ids = new Option<string[]>("--id") { Description = "Only these executions (repeatable); default: all of the function's", AllowMultipleArgumentsPerToken = true };
        var redrive = new Command("redrive", "Queue dead-lettered executions again.")
        {
            redriveName, ids,
        }.WithExamples("faas dlq redrive resize", "faas dlq redrive resize --id 0193… --id 0194…");
        redrive.Run(async (parse, context, cancellationToken) =>
        {
            var request = new RedriveDeadLettersRequest { Name = parse.GetValue(redriveName)! };
            request.ExecutionIds.Add(parse.GetValue(ids) ?? []);
            var response = await new Invocations.InvocationsClient(context.Channel).RedriveDeadLettersAsync(request, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, response, () => Console.Error.WriteLine($"Queued again: {response.ExecutionIds.Count}."));
            return ExitCodes.Ok;
        });

        var command = new Command("dlq", "Dead letters: asynchronous executions that used up their retries.");
        command.Subcommands.Add(list);
        command.Subcommands.Add(redrive);
        return command;
    }

    public static Command Keys()
    {
        var list = new Command("ls", "List your API keys (never their secrets).").WithExamples("faas keys ls");
        list.Run(async (_, context, cancellationToken) =>
        {
            var response = await new Auth.AuthClient(context.Channel).ListApiKeysAsync(new ListApiKeysRequest(), cancellationToken: cancellationToken);
            GlobalOptions.Write(context, response, () =>
            {
                var table = GlobalOptions.Table("ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED");
                foreach (var key in response.Keys)
                {
                    table.AddCells(key.Id, key.Name, FunctionCommands.Time(key.CreatedAt), FunctionCommands.Time(key.ExpiresAt),
                        FunctionCommands.Time(key.LastUsedAt), FunctionCommands.Time(key.RevokedAt));
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "What the key is for" };
        var days = new Option<uint>("--expires-in-days") { Description = "Expire after this many days (default: never)" };
        var create = new Command("create", "Create an API key; its secret is printed once, here, and never again.")
        {
            name, days,
        }.WithExamples("faas keys create ci --expires-in-days 90");
        create.Run(async (parse, context, cancellationToken) =>
        {
            var response = await new Auth.AuthClient(context.Channel).CreateApiKeyAsync(
                new CreateApiKeyRequest { Name = parse.GetValue(name)!, ExpiresInDays = parse.GetValue(days) }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, response, () =>
            {
                Console.Error.WriteLine($"Created key {response.Key.Id} ({response.Key.Name}). Its secret, shown this once:");
                Console.Out.WriteLine(response.Secret);
            });
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The key's id" };
        var revoke = new Command("revoke", "Revoke an API key: calls with it fail from now on.") { id }.WithExamples("faas keys revoke 0193…");
        revoke.Run(async (parse, context, cancellationToken) =>
        {
            var key = await new Auth.AuthClient(context.Channel).RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = parse.GetValue(id)! }, cancellationToken: cancellationToken);
            GlobalOptions.Write(context, key, () => Console.Error.WriteLine($"Revoked {key.Id} ({key.Name})."));
            return ExitCodes.Ok;
        });

        var command = new Command("keys", "API keys for machines (CI, webhooks senders, scripts).");
        command.Subcommands.Add(list);
        command.Subcommands.Add(create);
        command.Subcommands.Add(revoke);
        return command;
    }

    public static Command Sinks()
    {
        var command = new Command("sinks", "List the mesh's sinks: state, capacity, load, last heartbeat (administrators).").WithExamples("faas sinks", "faas sinks -o json");
        command.Run(async (_, context, cancellationToken) =>
        {
            var response = await new SinkAdmin.SinkAdminClient(context.Channel).ListSinksAsync(new ListSinksRequest(), cancellationToken: cancellationToken);
            GlobalOptions.Write(context, response, () =>
            {
                var table = GlobalOptions.Table("NAME", "STATE", "SLOTS", "IN FLIGHT", "CPU", "RUNTIMES", "MODES", "LAST HEARTBEAT");
                foreach (var sink in response.Sinks)
                {
                    table.AddCells(sink.Name, sink.State, sink.Capacity?.Slots, sink.Load?.InFlight, sink.Load is { } load ? $"{load.Cpu:P0}" : "",
                        string.Join(",", sink.Capacity?.Runtimes ?? []), string.Join(",", sink.Capacity?.Modes ?? []), FunctionCommands.Time(sink.LastHeartbeatAt));
                }

                AnsiConsole.Write(table);
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
