namespace Faas.Gateway;

public static class GatewayTelemetry
{
    public const string MeterName = "Faas.Gateway";
}
