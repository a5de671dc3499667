using Faas.Scheduler.Extensions;
using Faas.Scheduler.Grpc;
using Faas.Scheduler.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSchedulerServices();

var app = builder.Build();
app.MapGrpcService<SchedulerService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapJobStatus();
app.MapDefaultEndpoints();
app.Run();
