using Faas.Storage.Model;

namespace Faas.Gateway.Deployment;

/// <summary>A deploy as the domain sees it.</summary>
public sealed record DeployCommand(string Name, string Language, string? Source, byte[]? Wasm, FunctionConfig Config, string Description);
