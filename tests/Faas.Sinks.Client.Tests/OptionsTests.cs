using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Faas.Sinks.Client.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Bad_settings_are_rejected_with_messages_naming_the_keys()
    {
        var result = new SinkClientOptionsValidator().Validate(null, new SinkClientOptions
        {
            Credential = "nope",
            Name = "bad name",
            Slots = 0,
            MemoryMb = 0,
            PushAddress = "ftp://x",
        });

        Assert.True(result.Failed);
        foreach (var key in new[] { "Sink:SinkManager", "Sink:Credential", "Sink:Name", "Sink:Slots", "Sink:MemoryMb", "Sink:Runtimes", "Sink:PushAddress" })
        {
            Assert.Contains(key, result.FailureMessage);
        }
    }

    [Fact]
    public void A_sink_name_with_a_trailing_line_break_is_rejected()
    {
        var result = new SinkClientOptionsValidator().Validate(null, new SinkClientOptions
        {
            SinkManager = new Uri("http://127.0.0.1:5000"), Credential = "fsc_x", Name = "worker\n", Runtimes = ["wasm"],
        });

        Assert.True(result.Failed);
        Assert.Contains("Sink:Name", result.FailureMessage);
    }

    [Fact]
    public void The_sink_manager_falls_back_to_the_orchestrators_endpoint()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:sinkmanager:grpc:0"] = "http://127.0.0.1:5999",
            ["Sink:Credential"] = "fsc_a_b",
            ["Sink:Name"] = "w1",
            ["Sink:Slots"] = "2",
            ["Sink:MemoryMb"] = "512",
            ["Sink:Runtimes:0"] = "wasm",
            ["Sink:Modes:0"] = "Warm",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddSinkAgent();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SinkClientOptions>>().Value;

        Assert.True(configuration.HasSinkManager());
        Assert.Equal(new Uri("http://127.0.0.1:5999"), options.SinkManager);
        Assert.True(options.Pulls);
        Assert.Equal([Protos.V1.ExecutionMode.Warm], options.Modes);
    }

    [Fact]
    public void The_credential_may_come_from_either_source_but_not_both()
    {
        var valid = new SinkClientOptions
        {
            SinkManager = new Uri("http://127.0.0.1:1"),
            Name = "w1",
            Slots = 1,
            MemoryMb = 128,
            Runtimes = ["wasm"],
            Credential = "fsc_a_b",
        };

        Assert.True(new SinkClientOptionsValidator().Validate(null, valid).Succeeded);
        valid.CredentialFile = "/tmp/credential";
        Assert.Contains("exactly one", new SinkClientOptionsValidator().Validate(null, valid).FailureMessage);
    }
}

public sealed class MemoryBudgetTests
{
    [Fact]
    public async Task Functions_wait_until_their_memory_is_free()
    {
        var budget = new MemoryBudget(100);
        await budget.WaitAsync(60, CancellationToken.None);

        var second = budget.WaitAsync(60, CancellationToken.None);
        Assert.False(second.IsCompleted);

        budget.Release(60);
        await second;
        Assert.Equal(60, budget.Used);
    }

    [Fact]
    public async Task A_function_larger_than_the_budget_runs_alone()
    {
        var budget = new MemoryBudget(100);
        await budget.WaitAsync(500, CancellationToken.None);
        Assert.Equal(500, budget.Used);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_nothing()
    {
        var budget = new MemoryBudget(100);
        await budget.WaitAsync(100, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = budget.WaitAsync(10, cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        budget.Release(100);
        Assert.Equal(0, budget.Used);
    }
}
