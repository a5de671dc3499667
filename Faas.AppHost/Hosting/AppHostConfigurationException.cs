namespace Faas.AppHost.Hosting;

/// <summary>A setting or the machine prevents the AppHost from starting; the message says what to change.</summary>
public sealed class AppHostConfigurationException(string message) : Exception(message);
