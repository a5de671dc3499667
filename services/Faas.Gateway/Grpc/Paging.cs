namespace Faas.Gateway.Grpc;

internal static class Paging
{
    /// <summary>0 means the default; more than the maximum is coerced to the maximum.</summary>
    public static int Size(uint requested, GatewayOptions options) =>
        requested == 0 ? options.DefaultPageSize : (int)Math.Min(requested, (uint)options.MaxPageSize);
}
