using System.Diagnostics;

namespace Faas.Scheduler;

public static class SchedulerTelemetry
{
    public const string MeterName = "Faas.Scheduler";

    public static readonly ActivitySource ActivitySource = new("Faas.Scheduler");
}
