using Faas.Gateway.Grpc;
using Faas.Storage.Model;
using Google.Protobuf.WellKnownTypes;

namespace Faas.Gateway.Tests;

public class PagingTests
{
    private static readonly GatewayOptions Options = new() { MaxPageBytes = 64 * 1024 };

    private static Page<string> Page(int count, int size, bool more) =>
        Page<string>.Of(Enumerable.Range(0, count + (more ? 1 : 0)).Select(i => $"{i:D4}{new string('x', size)}").ToList(), count, s => s[..4]);

    [Fact]
    public void A_page_that_fits_its_byte_budget_comes_whole_with_its_own_token()
    {
        var page = Page(10, 100, more: true);

        var (items, next) = Paging.Fit(page, s => new StringValue { Value = s }, Options);

        Assert.Equal(10, items.Count);
        Assert.Equal(page.NextPageToken, next);
    }

    [Fact]
    public void A_page_over_its_byte_budget_stops_early_with_a_token_that_continues_after_the_last_item_sent()
    {
        var page = Page(10, 20_000, more: false);

        var (items, next) = Paging.Fit(page, s => new StringValue { Value = s }, Options);

        Assert.Equal(3, items.Count);
        Assert.NotEmpty(next);
        Assert.Equal(page.Take(3).NextPageToken, next);
        Assert.NotEqual(page.Take(4).NextPageToken, next);
    }

    [Fact]
    public void An_item_larger_than_the_budget_still_comes_alone()
    {
        var page = Page(2, 100_000, more: false);

        var (items, next) = Paging.Fit(page, s => new StringValue { Value = s }, Options);

        Assert.Single(items);
        Assert.NotEmpty(next);
    }
}
