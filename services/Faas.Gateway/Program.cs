using Faas.Gateway.Auth;
using Faas.Gateway.Extensions;
using Faas.Gateway.Grpc;
using Faas.Gateway.Http;
using Faas.Gateway.HttpFunctions;
using Faas.Gateway.Logs;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.UseRateLimiter();
app.UseHttpStatusOverride();
app.UseRestRequestChecks();
app.MapGrpcService<AuthService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
app.MapGrpcService<AdminService>().RequireAuthorization(GatewayAuthentication.AdminPolicy);
app.MapGrpcService<SinkAdminForwarder>().RequireAuthorization(GatewayAuthentication.AdminPolicy);
app.MapGrpcService<FunctionsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
app.MapGrpcService<InvocationsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
app.MapGrpcService<ExecutionsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
app.MapGrpcService<LogsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
app.MapHttpFunctions();
app.MapDefaultEndpoints();
app.Run();
