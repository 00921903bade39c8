namespace BatchAspire.FakeProvider;

/// <summary>The OpenAI wire format under <c>/v1</c>. Another provider is another file like this one.</summary>
internal static class OpenAIEndpoints
{
    public static RouteGroupBuilder MapOpenAIEndpoints(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").WithTags("OpenAI");

        v1.MapPost("/chat/completions", (HttpContext context, ProviderSimulation simulation) =>
            simulation.ServeAsync(context, OpenAIDialect.Instance, body => OpenAIChatCompletions.Parse(body, simulation.Options, simulation.Time)));

        v1.MapPost("/embeddings", (HttpContext context, ProviderSimulation simulation) =>
            simulation.ServeAsync(context, OpenAIDialect.Instance, body => OpenAIEmbeddings.Parse(body, simulation.Options)));

        return v1;
    }
}
