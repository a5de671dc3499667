using Faas.Worker.Grpc;
using Faas.Worker.Sinks;
using Faas.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// A worker that pulls its tasks gets its modules from the sink manager: it needs no database.
if (!WorkerSink.PullsTasks(builder.Configuration))
{
    builder.AddFaasDatabase();
}

builder.AddWorker();

var app = builder.Build();
app.MapGrpcService<WorkerService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
