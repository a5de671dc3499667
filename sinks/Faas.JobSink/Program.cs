using Faas.JobSink;
using Faas.JobSink.Grpc;
using Faas.JobSink.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJobSink();

var app = builder.Build();
app.MapGrpcService<JobSinkService>().RequireAuthorization(ServiceAuthentication.Policy);
app.MapJobStatus();
app.MapDefaultEndpoints();
app.Run();
