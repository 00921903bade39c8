using BatchAspire.Core.Telemetry;
using OpenTelemetry.Metrics;

namespace BatchAspire.Api.Telemetry;

/// <summary>
/// <c>BatchAspire:Telemetry:Prometheus=true</c>: a Prometheus scrape endpoint at <c>/metrics</c> (anonymous, like
/// <c>/health</c>: it carries counts and job ids, never keys or content), beside OTLP when that is configured.
/// </summary>
public static class PrometheusEndpoint
{
    public const string Path = "/metrics";

    public static WebApplicationBuilder AddPrometheusEndpoint(this WebApplicationBuilder builder)
    {
        if (IsEnabled(builder.Configuration))
        {
            builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddPrometheusExporter());
        }
        return builder;
    }

    public static WebApplication MapPrometheusEndpoint(this WebApplication app)
    {
        if (IsEnabled(app.Configuration)) app.MapPrometheusScrapingEndpoint(Path);
        return app;
    }

    private static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool>($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Prometheus)}");
}
