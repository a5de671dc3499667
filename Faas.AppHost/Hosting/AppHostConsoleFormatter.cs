using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Faas.AppHost.Hosting;

/// <summary>
/// The AppHost's console: "HH:mm:ss message" per event, the level only when it is a warning or worse,
/// and the ready line exactly as it is, so it can be read (and grepped) as one line.
/// </summary>
internal sealed class AppHostConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "faas";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.EventId.Id == Log.ReadyEventId)
        {
            textWriter.WriteLine(message);
            return;
        }

        textWriter.Write(DateTimeOffset.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        if (logEntry.LogLevel >= LogLevel.Warning)
        {
            textWriter.Write(logEntry.LogLevel switch
            {
                LogLevel.Warning => "warn: ",
                LogLevel.Error => "error: ",
                _ => "critical: ",
            });
        }

        textWriter.WriteLine(message);
        if (logEntry.Exception is not null)
        {
            textWriter.WriteLine(logEntry.Exception.ToString());
        }
    }
}
