using Faas.SinkManager.Auth;
using Faas.SinkManager.Extensions;
using Faas.SinkManager.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSinkManagerServices();

var app = builder.Build();
app.MapGrpcService<SinkProtocolService>().RequireAuthorization(SinkAuthentication.Policy);
app.MapGrpcService<SinkAdminService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapGrpcService<SinkDirectoryService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
