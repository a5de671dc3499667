using Faas.AppHost.Hosting;

if (CommandLineSwitches.IsHelp(args))
{
    Console.WriteLine(CommandLineSwitches.Usage);
    return 0;
}

WebApplication app;
try
{
    app = AppHostApplication.Create(args);
    AppHostPreflight.Run(app.Services);
}
catch (Exception e) when (AppHostPreflight.Explain(e) is { } reason)
{
    Console.Error.WriteLine(reason);
    return 2;
}

await using (app)
{
    var runner = app.Services.GetRequiredService<AppHostRunner>();
    await app.RunAsync();
    return runner.ExitCode;
}
