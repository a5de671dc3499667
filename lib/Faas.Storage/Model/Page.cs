using Faas.Storage.Postgres;

namespace Faas.Storage.Model;

/// <summary>A page of results and the opaque token of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken)
{
    private Func<T, string>? keyOf;

    /// <summary>
    /// The first <paramref name="count"/> items and the token that continues right after them: for a response that
    /// stops adding items before the page is done (a byte budget).
    /// </summary>
    public Page<T> Take(int count)
    {
        if (count >= Items.Count)
        {
            return this;
        }

        var keys = keyOf ?? throw new InvalidOperationException("This page was not made by a store and cannot be cut short.");
        return new Page<T>(Items.Take(count).ToList(), PageToken.Encode(keys(Items[count - 1]))) { keyOf = keys };
    }

    /// <summary>
    /// A page from a query that read up to <paramref name="pageSize"/> + 1 items: the extra one only says that another page
    /// follows, which continues after the key of the last item kept.
    /// </summary>
    public static Page<T> Of(List<T> items, int pageSize, Func<T, string> keyOf)
    {
        if (items.Count <= pageSize)
        {
            return new Page<T>(items, null) { keyOf = keyOf };
        }

        items.RemoveAt(items.Count - 1);
        return new Page<T>(items, PageToken.Encode(keyOf(items[^1]))) { keyOf = keyOf };
    }
}
