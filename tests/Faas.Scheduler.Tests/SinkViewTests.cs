namespace Faas.Scheduler.Tests;

/// <summary>How the scheduler's view follows the sink manager's membership.</summary>
public sealed class SinkViewTests : IDisposable
{
    private readonly Sinks.SinkView view = TestSinks.View();

    [Fact]
    public void A_sink_reported_again_at_the_same_address_is_kept_with_its_link()
    {
        view.Members(TestSinks.Info("a"));
        var first = view.Named("a");

        view.Members(TestSinks.Info("a", slots: 8));

        Assert.Same(first, view.Named("a"));
        Assert.Same(first.Link, view.Named("a").Link);
        Assert.False(first.Lost.IsCancellationRequested);
    }

    [Fact]
    public void A_sink_that_moved_to_another_address_gets_a_new_link_and_the_old_one_is_lost()
    {
        var before = TestSinks.Info("a");
        view.Members(before);
        var old = view.Named("a");
        var moved = before.Clone();
        moved.PushAddress = "http://127.0.0.1:6999/a";

        view.Members(moved);

        var now = view.Named("a");
        Assert.NotSame(old, now);
        Assert.NotSame(old.Link, now.Link);
        Assert.Equal("http://127.0.0.1:6999/a", now.PushAddress);
        Assert.True(old.Lost.IsCancellationRequested);
        Assert.False(now.Lost.IsCancellationRequested);
    }

    [Fact]
    public void A_sink_that_left_is_lost()
    {
        view.Members(TestSinks.Info("a"), TestSinks.Info("b"));
        var b = view.Named("b");

        view.Members(TestSinks.Info("a"));

        Assert.True(b.Lost.IsCancellationRequested);
        Assert.DoesNotContain(view.Sinks, s => s.Name == "b");
    }

    public void Dispose() => view.Dispose();
}
