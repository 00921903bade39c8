namespace BatchAspire.FakeProvider;

/// <summary>The Anthropic Messages wire format: <c>POST /v1/messages</c>.</summary>
internal static class AnthropicEndpoints
{
    public static IEndpointRouteBuilder MapAnthropicEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/messages", (HttpContext context, ProviderSimulation simulation) =>
            simulation.ServeAsync(
                context,
                new AnthropicDialect(simulation.Time),
                body => AnthropicMessages.Parse(body, context.Request, simulation.Options)))
            .WithTags("Anthropic");
        return routes;
    }
}
