using Faas.Gateway.Extensions;
using Faas.Gateway.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.UseRateLimiter();
app.UseHttpStatusOverride();
app.UseRestRequestChecks();
app.MapGatewayApi();
app.MapDefaultEndpoints();
app.Run();
