using BatchAspire.Api;
using BatchAspire.Api.Auth;
using BatchAspire.Api.Errors;
using BatchAspire.Api.Jobs;
using BatchAspire.Api.V1;
using BatchAspire.Api.Usage;
using BatchAspire.Api.Telemetry;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBatchApi();

var app = builder.Build();
app.UseApiErrors();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapJobsApi();
app.MapJobEstimateApi();
app.MapUsageApi();
app.MapJobResultsApi();
app.MapJobEventsApi();
app.MapFilesApi();
app.MapBatchesApi();
app.MapJobStatsApi();
app.MapPrometheusEndpoint();
app.LogAuthMode();
app.Run();

public partial class Program;
