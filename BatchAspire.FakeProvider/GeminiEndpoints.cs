namespace BatchAspire.FakeProvider;

/// <summary>The Gemini wire format: <c>POST /v1beta/models/{model}:generateContent</c>.</summary>
internal static class GeminiEndpoints
{
    public static IEndpointRouteBuilder MapGeminiEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1beta/models/{model}:generateContent", (HttpContext context, string model, ProviderSimulation simulation) =>
            simulation.ServeAsync(
                context,
                new GeminiDialect(simulation.Time, model),
                body => GeminiGenerateContent.Parse(body, model, simulation.Options)))
            .WithTags("Gemini");
        return routes;
    }
}
