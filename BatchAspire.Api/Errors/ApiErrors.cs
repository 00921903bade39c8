using System.Text.Json;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.Errors;

/// <summary>The one error shape of the Api: OpenAI's <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public static class ApiErrors
{
    public static BadRequest<BatchErrorBody> BadRequest(BatchError error) => TypedResults.BadRequest(new BatchErrorBody(error));

    public static NotFound<BatchErrorBody> NotFound(string what, string id) => TypedResults.NotFound(new BatchErrorBody(BatchError.NotFound(what, id)));

    public static Task Write(HttpContext context, int status, BatchError error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new BatchErrorBody(error), BatchJson.Options);
    }

    /// <summary>Unhandled exceptions and bare status codes (404 route, 405, 413) answer in the same shape.</summary>
    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, error) = ex switch
            {
                BadHttpRequestException { StatusCode: 413 } => (413, new BatchError("The request body is too large (BatchAspire:Jobs:MaxRequestBytes).", "invalid_request_error", null, "request_too_large")),
                BadHttpRequestException bad => (bad.StatusCode, new BatchError(bad.Message, "invalid_request_error", null, "bad_request")),
                _ => (500, new BatchError("The server had an error while processing your request.", "server_error", null, "internal_error")),
            };
            await Write(context, status, error);
        }));
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength > 0 || http.Response.ContentType is not null) return;
            var status = http.Response.StatusCode;
            var error = status switch
            {
                404 => new BatchError($"Unknown route: {http.Request.Method} {http.Request.Path}.", "invalid_request_error", null, "unknown_url"),
                405 => new BatchError($"Method {http.Request.Method} is not allowed on {http.Request.Path}.", "invalid_request_error", null, "method_not_allowed"),
                _ => new BatchError($"HTTP {status}.", "invalid_request_error", null, $"http_{status}"),
            };
            await Write(http, status, error);
        });
        return app;
    }

    /// <summary>A malformed JSON body, described by where it breaks.</summary>
    public static BatchError InvalidJson(JsonException ex) =>
        new($"The request body is not valid JSON{(ex.Path is { Length: > 0 } p ? $" at {p}" : "")}{(ex.LineNumber is { } l ? $" (line {l + 1}, byte {ex.BytePositionInLine + 1})" : "")}: {FirstSentence(ex.Message)}",
            "invalid_request_error", ex.Path, "invalid_json");

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
