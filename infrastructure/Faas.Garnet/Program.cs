using Faas.Garnet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.ConfigureOpenTelemetry();
builder.Services.AddOptions<GarnetHostOptions>().BindConfiguration(GarnetHostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddHostedService<GarnetHost>();
builder.Build().Run();
