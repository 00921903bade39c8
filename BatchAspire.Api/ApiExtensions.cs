using BatchAspire.Api.Auth;
using BatchAspire.Api.Telemetry;
using BatchAspire.Core;

namespace BatchAspire.Api;

public static class ApiExtensions
{
    /// <summary>The Api's services: the shared domain, auth, the JSON setup and the OpenAPI document.</summary>
    public static WebApplicationBuilder AddBatchApi(this WebApplicationBuilder builder)
    {
        builder.AddBatchCore();
        builder.AddApiAuth();
        builder.Services.AddSingleton<V1.BatchOutputFiles>();
        builder.AddPrometheusEndpoint();
        builder.Services.ConfigureHttpJsonOptions(o => BatchJson.Configure(o.SerializerOptions));
        builder.Services.AddOpenApi();
        return builder;
    }
}
