using Faas.Scheduler.Extensions;
using Faas.Scheduler.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSchedulerServices();

var app = builder.Build();
app.MapGrpcService<SchedulerService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
