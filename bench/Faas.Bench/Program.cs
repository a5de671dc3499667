using System.CommandLine;
using Faas.Bench;
using Spectre.Console;

// Written to a file, the console is 80 columns wide to Spectre and the result tables would wrap every scenario's name.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
}

var duration = new Option<int>("--duration") { Description = "Measured seconds per scenario", DefaultValueFactory = _ => 10 };
var warmup = new Option<int>("--warmup") { Description = "Warm-up seconds per scenario (discarded)", DefaultValueFactory = _ => 2 };
var concurrency = new Option<int[]>("--concurrency") { Description = "Concurrent callers, one run each", DefaultValueFactory = _ => [1, 32], AllowMultipleArgumentsPerToken = true };
var workers = new Option<int>("--workers") { Description = "worker replicas in the mesh", DefaultValueFactory = _ => 2 };
var payload = new Option<int>("--payload") { Description = "Payload bytes per invocation", DefaultValueFactory = _ => 64 };
var markdown = new Option<string?>("--markdown") { Description = "Also write the results as a Markdown table to this file" };
var serviceEnvironment = new Option<string[]>("--service-env") { Description = "NAME=VALUE set in every service's environment (repeatable), to measure a setting" };
var scenarioFilter = new Option<string[]>("--scenario") { Description = "Measure only the scenarios whose names contain this text (repeatable); the floor is always measured", AllowMultipleArgumentsPerToken = true };
var slices = new Option<int>("--slices") { Description = "Cut each scenario's measured period into this many slices, the scenarios taking turns, so that all see the machine alike", DefaultValueFactory = _ => 4 };
var secondGateway = new Option<string[]>("--second-gateway-env") { Description = "NAME=VALUE for the second gateway (repeatable): it takes the default path with these settings instead of the scheduler's, to measure a gateway setting in one mesh (synchronous benchmark)" };
var runs = new Option<int>("--runs") { Description = "Times every scenario is measured in the one mesh, for medians and ranges", DefaultValueFactory = _ => 1 };

var root = new RootCommand("Faas synchronous-invoke benchmark: the mesh (REST and gRPC) against the floor of one worker called directly, in one run.")
{
    duration, warmup, concurrency, workers, payload, markdown, serviceEnvironment, runs, scenarioFilter, slices, secondGateway,
};
var iterations = new Option<int>("--iterations") { Description = "Deploys measured per scenario", DefaultValueFactory = _ => 10 };
var deploy = new Command("deploy", "Deploy from source to first successful invoke (C echo sample): a fresh build and a build-cache hit.")
{
    iterations, workers, markdown,
};
deploy.SetAction(async (parse, cancellationToken) =>
    await DeployBenchmark.RunAsync(parse.GetValue(iterations), parse.GetValue(workers), parse.GetValue(markdown), cancellationToken));
root.Subcommands.Add(deploy);

root.SetAction(async (parse, cancellationToken) =>
{
    var options = Measured(parse);
    await InvokeBenchmark.RunAsync(options, cancellationToken);
});
var acceptanceOnly = new Option<bool>("--acceptance-only") { Description = "Turn the scheduler's consumption off and measure acceptance alone" };
var asyncCommand = new Command("async", "Asynchronous invoke: enqueue acceptance (gRPC, REST) and end-to-end completion, against raw LPUSH/RPOP on the same queue server, in one run.")
{
    duration, warmup, concurrency, workers, payload, markdown, serviceEnvironment, acceptanceOnly,
};
asyncCommand.SetAction(async (parse, cancellationToken) =>
{
    var options = new BenchOptions(
        TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(duration)),
        parse.GetValue(concurrency)!, parse.GetValue(workers), parse.GetValue(payload), parse.GetValue(markdown))
    {
        ServiceEnvironment = BenchOptions.ParseEnvironment(parse.GetValue(serviceEnvironment)),
    };
    await AsyncBenchmark.RunAsync(options, parse.GetValue(acceptanceOnly), cancellationToken);
});
root.Subcommands.Add(asyncCommand);
var httpCommand = new Command("http", "HTTP functions: the same module called as an HTTP function (CGI in and out) and through :invoke, over REST, in one run.")
{
    duration, warmup, concurrency, workers, payload, markdown, serviceEnvironment, runs, slices,
};
httpCommand.SetAction(async (parse, cancellationToken) =>
{
    var options = Measured(parse);
    await HttpFunctionBenchmark.RunAsync(options, cancellationToken);
});
root.Subcommands.Add(httpCommand);
var followCalls = new Option<int>("--follow-calls") { Description = "Calls whose log line is timed from the function to the follower", DefaultValueFactory = _ => 200 };
var logsCommand = new Command("logs", "Function logs: what a log line costs a synchronous call (echo against the same echo writing one stderr line), and the time from a function writing a line to a follower receiving it, in one run.")
{
    duration, warmup, concurrency, workers, payload, markdown, serviceEnvironment, runs, slices, followCalls,
};
logsCommand.SetAction(async (parse, cancellationToken) =>
{
    var options = Measured(parse);
    await LogBenchmark.RunAsync(options, Math.Max(1, parse.GetValue(followCalls)), cancellationToken);
});
root.Subcommands.Add(logsCommand);
var jobConcurrency = new Option<int[]>("--concurrency") { Description = "Concurrent callers, one run each", DefaultValueFactory = _ => [1, 4], AllowMultipleArgumentsPerToken = true };
// A few calls a second: the warm-up must be long enough for the services' JIT to reach its optimised tier (30 calls).
var jobWarmup = new Option<int>("--warmup") { Description = "Warm-up seconds per scenario (discarded)", DefaultValueFactory = _ => 10 };
var jobWorkers = new Option<int>("--workers") { Description = "worker replicas in the mesh (JOB mode does not use them)", DefaultValueFactory = _ => 1 };
var jobCommand = new Command("job", "JOB mode: invoke latency of a fresh runc container per call through the mesh, against the floor of `runc run /bin/true` with the same container spec, in one run.")
{
    duration, jobWarmup, jobConcurrency, jobWorkers, payload, markdown, serviceEnvironment,
};
jobCommand.SetAction(async (parse, cancellationToken) =>
{
    var options = new BenchOptions(
        TimeSpan.FromSeconds(parse.GetValue(jobWarmup)), TimeSpan.FromSeconds(parse.GetValue(duration)),
        parse.GetValue(jobConcurrency)!, parse.GetValue(jobWorkers), parse.GetValue(payload), parse.GetValue(markdown))
    {
        ServiceEnvironment = BenchOptions.ParseEnvironment(parse.GetValue(serviceEnvironment)),
    };
    await JobBenchmark.RunAsync(options, cancellationToken);
});
root.Subcommands.Add(jobCommand);
var failovers = new Option<int>("--failovers") { Description = "Times a worker is frozen mid-invocation", DefaultValueFactory = _ => 5 };
var sinkConcurrency = new Option<int[]>("--concurrency") { Description = "Concurrent callers, one run each", DefaultValueFactory = _ => [1, 8], AllowMultipleArgumentsPerToken = true };
var sinksCommand = new Command("sinks", "Sinks: hand-off overhead of the pull protocol against the push path (same module, same executor), and how long a frozen worker's work takes to run elsewhere, in one run.")
{
    duration, warmup, sinkConcurrency, payload, markdown, serviceEnvironment, failovers,
};
sinksCommand.SetAction(async (parse, cancellationToken) =>
{
    if (OperatingSystem.IsWindows())
    {
        throw new PlatformNotSupportedException("The sinks benchmark freezes workers with SIGSTOP.");
    }

    var options = new BenchOptions(
        TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(duration)),
        parse.GetValue(sinkConcurrency)!, 2, parse.GetValue(payload), parse.GetValue(markdown))
    {
        ServiceEnvironment = BenchOptions.ParseEnvironment(parse.GetValue(serviceEnvironment)),
    };
    await SinkBenchmark.RunAsync(options, parse.GetValue(failovers), cancellationToken);
});
root.Subcommands.Add(sinksCommand);
var overloadCommand = new Command("overload", "Overload: accepted throughput, p99 of accepted calls and the share shed (429) at twice a function's capacity, against the same function at its capacity, in one run.")
{
    duration, warmup, workers, payload, markdown, serviceEnvironment,
};
overloadCommand.SetAction(async (parse, cancellationToken) =>
{
    var options = new BenchOptions(
        TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(duration)),
        [], parse.GetValue(workers), parse.GetValue(payload), parse.GetValue(markdown))
    {
        ServiceEnvironment = BenchOptions.ParseEnvironment(parse.GetValue(serviceEnvironment)),
    };
    await OverloadBenchmark.RunAsync(options, cancellationToken);
});
root.Subcommands.Add(overloadCommand);
return await root.Parse(args).InvokeAsync();

// The options of the benchmarks measured in closed loops over --concurrency, --runs times.
BenchOptions Measured(ParseResult parse) => new(
    TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(duration)),
    parse.GetValue(concurrency)!, parse.GetValue(workers), parse.GetValue(payload), parse.GetValue(markdown))
{
    ServiceEnvironment = BenchOptions.ParseEnvironment(parse.GetValue(serviceEnvironment)),
    Runs = Math.Max(1, parse.GetValue(runs)),
    Scenarios = parse.GetValue(scenarioFilter) ?? [],
    Slices = Math.Clamp(parse.GetValue(slices), 1, 60),
    SecondGatewayEnvironment = parse.CommandResult.Command.Options.Contains(secondGateway)
        ? BenchOptions.ParseEnvironment(parse.GetValue(secondGateway)) : new Dictionary<string, string>(),
};
