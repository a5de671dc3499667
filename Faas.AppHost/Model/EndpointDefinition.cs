namespace Faas.AppHost.Model;

/// <summary>A named endpoint of a resource on the loopback interface.</summary>
/// <param name="Name">Endpoint name as in Aspire (<c>http</c>, <c>grpc</c>, <c>tcp</c>).</param>
/// <param name="Scheme">URL scheme (<c>http</c> or <c>tcp</c>).</param>
/// <param name="Port">Loopback port.</param>
/// <param name="Protocols">Kestrel protocols for project endpoints (<c>Http1</c>, <c>Http2</c>).</param>
public sealed record EndpointDefinition(string Name, string Scheme, int Port, string? Protocols = null)
{
    public const string Http = "http";
    public const string Grpc = "grpc";
    public const string Tcp = "tcp";

    public const string Host = "127.0.0.1";

    public Uri Url => new($"{Scheme}://{Host}:{Port}");

    /// <summary>The URL without a trailing slash, as Aspire writes it into environment variables.</summary>
    public string Address => $"{Scheme}://{Host}:{Port}";
}
