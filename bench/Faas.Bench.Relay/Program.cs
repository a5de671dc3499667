// The mesh's forwarding hop with none of its work, for the synchronous benchmark: a relay in front of a worker
// (load generator → unary Execute → relay → stream → worker) carries each call along the same path, over the same
// link and with the same gRPC client settings as gateway → worker, so the benchmark can show what the path itself
// costs on the machine, apart from authentication, quotas, leases and the execution record. Relays chain: two in a
// row are the hops of gateway → scheduler → worker.
using System.ComponentModel.DataAnnotations;
using Faas.Bench.Relay;
using Faas.Sinks.Client;
using Faas.ServiceDefaults.Multiplexing;
using Faas.ServiceDefaults.ServiceIdentity;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var relay = builder.Configuration.GetSection(RelayOptions.SectionName).Get<RelayOptions>() ?? new RelayOptions();
Validator.ValidateObject(relay, new ValidationContext(relay), validateAllProperties: true);

builder.Services.AddOptions<ServiceAuthOptions>().BindConfiguration(ServiceAuthOptions.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ServiceTokens>();
builder.Services.AddTransient<ServiceTokenHandler>();
builder.Services.AddGrpc();
builder.Services.AddInternalGrpcClient<Faas.Protos.V1.PushedSink.PushedSinkClient>(relay.Next!);
builder.Services.AddSingleton(services => new SinkLink(services.GetRequiredService<Faas.Protos.V1.PushedSink.PushedSinkClient>(), new MultiplexingOptions()));

var app = builder.Build();
app.MapGrpcService<RelayService>();
app.Run();
