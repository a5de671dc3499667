using System.Text;
using Faas.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Extensions;
using Microsoft.OpenApi.Models;
using Swashbuckle.AspNetCore.Swagger;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Faas.Gateway.Http;

/// <summary>
/// The REST API as an OpenAPI 3 document at <c>GET /openapi/v1.json</c>, open to anyone like <c>/health</c>. It is
/// generated from what the gateway serves: every JSON-transcoded method from its <c>google.api.http</c> rule (with the
/// protos' comments as summaries and schema descriptions, from the XML documentation of the generated code) and the
/// HTTP function routes. Operations that need a credential carry the bearer scheme (an API key or a login token).
/// </summary>
public static class GatewayOpenApi
{
    public const string DocumentName = "v1";

    public const string DocumentPath = "/openapi/" + DocumentName + ".json";

    public const string BearerScheme = "bearer";

    /// <summary>The XML documentation of the protos' generated code, copied beside the gateway's assembly.</summary>
    private const string ProtosDocumentation = "Faas.Protos.xml";

    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        // The transcoded gRPC methods, by their HTTP rules; and the minimal-API routes of HTTP functions.
        services.AddGrpcSwagger();
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Faas",
                Version = DocumentName,
                Description = "The REST API of the Faas gateway: JSON transcoding of the public gRPC services (package faas.v1), "
                    + "and HTTP functions. Errors are google.rpc.Status JSON.",
            });

            var documentation = Path.Combine(AppContext.BaseDirectory, ProtosDocumentation);
            if (File.Exists(documentation))
            {
                // Messages and fields for the schemas; methods and services for the operations and tags.
                o.IncludeXmlComments(documentation);
                o.IncludeGrpcXmlComments(documentation, includeControllerXmlComments: true);
            }

            o.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = BearerScheme,
                Description = "An API key (faas_…) or the token of a login (POST /v1/auth:login).",
            });
            o.OperationFilter<GatewayOperations>();
            o.DocumentFilter<GatewayTags>();
        });
        return services;
    }

    /// <summary>
    /// Serves the document on every port of the gateway, without a credential. It is generated at the first request and
    /// kept: the routes are fixed once the gateway runs, and an open endpoint should not cost a generation per call.
    /// </summary>
    public static IEndpointConventionBuilder MapGatewayOpenApi(this IEndpointRouteBuilder app)
    {
        var document = new Lazy<byte[]>(() =>
        {
            var provider = app.ServiceProvider.GetRequiredService<ISwaggerProvider>();
            return Encoding.UTF8.GetBytes(provider.GetSwagger(DocumentName).SerializeAsJson(OpenApiSpecVersion.OpenApi3_0));
        });
        return app.MapGet(DocumentPath, () => Results.Bytes(document.Value, "application/json"))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    /// <summary>
    /// What the generator does not know from the endpoints alone: the bearer scheme on every operation whose endpoint needs
    /// an authenticated caller (as the authorization middleware decides: a policy, and no <see cref="IAllowAnonymous"/>),
    /// and the admin role where the policy needs it; raw bodies (<c>google.api.HttpBody</c>: an invoke's payload and
    /// output) as any content type rather than JSON; and the catch-all <c>{path}</c> of HTTP functions as a parameter.
    /// </summary>
    private sealed class GatewayOperations : IOperationFilter
    {
        private static readonly OpenApiSchema Binary = new() { Type = "string", Format = "binary" };

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata ?? [];
            var policies = metadata.OfType<IAuthorizeData>().ToList();
            if (policies.Count > 0 && !metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = BearerScheme } }] = [],
                });
                if (policies.Any(p => p.Policy == GatewayAuthentication.AdminPolicy))
                {
                    operation.Description = Join(operation.Description, "Needs the admin role.");
                }
            }

            if (metadata.OfType<GrpcJsonTranscodingMetadata>().FirstOrDefault() is { } transcoding)
            {
                var method = transcoding.MethodDescriptor;
                var body = transcoding.HttpRule.Body switch
                {
                    "" => null,
                    "*" => method.InputType,
                    var field => method.InputType.FindFieldByName(field)?.MessageType,
                };
                if (IsHttpBody(body) && operation.RequestBody is { } request)
                {
                    request.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = Binary } };
                }

                if (IsHttpBody(method.OutputType) && operation.Responses.TryGetValue("200", out var ok))
                {
                    ok.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = Binary } };
                }
            }

            // A template variable the endpoint does not bind itself (the catch-all of HTTP functions) is still a parameter.
            foreach (System.Text.RegularExpressions.Match variable in System.Text.RegularExpressions.Regex.Matches(
                context.ApiDescription.RelativePath ?? "", @"\{([^}:=]+)[^}]*\}"))
            {
                var name = variable.Groups[1].Value.TrimStart('*');
                if (!operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
                {
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = name,
                        In = ParameterLocation.Path,
                        Required = true,
                        Schema = new OpenApiSchema { Type = "string" },
                    });
                }
            }

            operation.Summary = Tidy(operation.Summary);
            operation.Description = Tidy(operation.Description);
        }

        private static bool IsHttpBody(Google.Protobuf.Reflection.MessageDescriptor? message) =>
            message?.FullName == Google.Api.HttpBody.Descriptor.FullName;

        private static string Join(string? text, string more) => string.IsNullOrEmpty(text) ? more : text + "\n\n" + more;
    }

    /// <summary>The tags' descriptions (the services' comments) with plain line ends, as the operations'.</summary>
    private sealed class GatewayTags : IDocumentFilter
    {
        public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
        {
            foreach (var tag in swaggerDoc.Tags ?? [])
            {
                tag.Description = Tidy(tag.Description);
            }
        }
    }

    private static string? Tidy(string? text) => text?.Replace("\r\n", "\n", StringComparison.Ordinal);
}
