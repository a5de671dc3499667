namespace Faas.Gateway;

public static class GatewayTelemetry
{
    public const string MeterName = "Faas.Gateway";

    public static System.Diagnostics.ActivitySource ActivitySource { get; } = new(MeterName);
}
