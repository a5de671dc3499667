namespace Faas.AppHost.Resources;

/// <summary>A resource endpoint as shown on the dashboard and in /api/resources.</summary>
public sealed record ResourceEndpoint(string Name, string Url);
