namespace Faas.SinkManager;

public static class SinkManagerTelemetry
{
    public const string MeterName = "Faas.SinkManager";
}
