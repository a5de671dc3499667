using Faas.Gateway.Extensions;
using Faas.Gateway.Grpc;
using Faas.Gateway.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.UseHttpStatusOverride();
app.MapGrpcService<FunctionsService>();
app.MapGrpcService<InvocationsService>();
app.MapGrpcService<ExecutionsService>();
app.MapDefaultEndpoints();
app.Run();
