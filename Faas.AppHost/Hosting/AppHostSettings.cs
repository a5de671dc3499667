using Faas.AppHost.Jobs;
using Microsoft.Extensions.Configuration;

namespace Faas.AppHost.Hosting;

/// <summary>What the app model is built from: the validated options, the state directory and JOB mode's job runner.</summary>
public sealed record AppHostSettings(AppHostOptions Options, StateLayout State, JobRunnerBuild JobRunnerBinary);

public static class AppHostSettingsExtensions
{
    /// <summary>
    /// Binds the switches and the <c>AppHost</c> section, rejects settings that cannot work and ports already taken
    /// (<see cref="AppHostConfigurationException"/>, naming the switch), points the dashboard at its port and makes
    /// the state directory's keys.
    /// </summary>
    public static AppHostSettings AddFaasSettings(this IDistributedApplicationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddCommandLine(args, CommandLineSwitches.Mappings.ToDictionary());
        var options = ReadOptions(builder.Configuration);
        Check(options);
        DashboardPorts.Apply(builder.Configuration, options.DashboardPort);

        var state = new StateLayout(Path.GetFullPath(options.StateDirectory));
        Directory.CreateDirectory(state.Root);
        if (!options.InfrastructureOnly)
        {
            StateKeys.Ensure(state);
        }

        return new AppHostSettings(options, state, JobRunnerBuild.For(new Projects.Faas_JobRunner().ProjectPath));
    }

    /// <summary>The <c>AppHost</c> section and the connection strings; a value of the wrong type is an <see cref="AppHostConfigurationException"/> naming it.</summary>
    public static AppHostOptions ReadOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new AppHostOptions();
        try
        {
            configuration.GetSection(AppHostOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new AppHostConfigurationException($"{e.Message} See --help for what each switch takes.");
        }

        options.RedisConnectionString ??= configuration.GetConnectionString(ResourceNames.Redis);
        options.FaasDbConnectionString ??= configuration.GetConnectionString(ResourceNames.FaasDb);
        return options;
    }

    /// <summary>Settings that cannot work, and fixed ports already taken, as one <see cref="AppHostConfigurationException"/>.</summary>
    public static void Check(AppHostOptions options)
    {
        if (new AppHostOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            throw new AppHostConfigurationException(string.Join(Environment.NewLine, invalid.Failures));
        }

        PortPreflight.EnsurePortsAreFree(options);
    }
}
