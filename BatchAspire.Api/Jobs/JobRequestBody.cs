using System.Text.Json;
using BatchAspire.Api.Errors;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Http.Features;

namespace BatchAspire.Api.Jobs;

/// <summary>Reads a native job request (submit or estimate): JSON only, up to BatchAspire:Jobs:MaxRequestBytes.</summary>
public static class JobRequestBody
{
    public static async Task<(JobRequest? Request, BatchError? Error)> ReadAsync(HttpContext context, JobLimitsOptions limits)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxRequestBytes;
        }
        if (!context.Request.HasJsonContentType())
        {
            return (null, BatchError.Invalid("Send the job as JSON with Content-Type: application/json.", null, "invalid_content_type"));
        }
        try
        {
            return await JsonSerializer.DeserializeAsync<JobRequest>(context.Request.Body, BatchJson.Options, context.RequestAborted) is { } request
                ? (request, null)
                : (null, BatchError.Invalid("The request body must be a JSON object with 'items'.", null, "invalid_json"));
        }
        catch (JsonException ex)
        {
            return (null, ApiErrors.InvalidJson(ex));
        }
    }
}
