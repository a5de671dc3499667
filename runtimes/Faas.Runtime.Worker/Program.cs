using Faas.Runtime.Worker.Grpc;
using Faas.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFaasDatabase();
builder.AddRuntimeWorker();

var app = builder.Build();
app.MapGrpcService<RuntimeService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
