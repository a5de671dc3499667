using Faas.Runtime.Worker.Grpc;
using Faas.Runtime.Worker.Sinks;
using Faas.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// A worker that pulls its tasks gets its modules from the sink manager: it needs no database.
if (!WorkerSink.PullsTasks(builder.Configuration))
{
    builder.AddFaasDatabase();
}

builder.AddRuntimeWorker();

var app = builder.Build();
app.MapGrpcService<RuntimeService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
