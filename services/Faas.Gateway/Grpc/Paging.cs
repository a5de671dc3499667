using Faas.Storage.Model;
using Google.Protobuf;

namespace Faas.Gateway.Grpc;

public static class Paging
{
    /// <summary>0 means the default; more than the maximum is coerced to the maximum.</summary>
    public static int Size(uint requested, GatewayOptions options) =>
        requested == 0 ? options.DefaultPageSize : (int)Math.Min(requested, (uint)options.MaxPageSize);

    /// <summary>
    /// The page's items as messages, up to <see cref="GatewayOptions.MaxPageBytes"/> of them (at least one), and the token
    /// that continues after the last one sent: the page's own when all fit.
    /// </summary>
    public static (IReadOnlyList<TMessage> Items, string NextPageToken) Fit<T, TMessage>(Page<T> page, Func<T, TMessage> toMessage, GatewayOptions options)
        where TMessage : IMessage
    {
        var messages = new List<TMessage>(page.Items.Count);
        long bytes = 0;
        foreach (var item in page.Items)
        {
            var message = toMessage(item);
            bytes += message.CalculateSize();
            if (messages.Count > 0 && bytes > options.MaxPageBytes)
            {
                return (messages, page.Take(messages.Count).NextPageToken ?? "");
            }

            messages.Add(message);
        }

        return (messages, page.NextPageToken ?? "");
    }
}
