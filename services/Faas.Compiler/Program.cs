using Faas.Compiler.Extensions;
using Faas.Compiler.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCompilerServices();

var app = builder.Build();
app.MapGrpcService<CompilerService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapDefaultEndpoints();
app.Run();
