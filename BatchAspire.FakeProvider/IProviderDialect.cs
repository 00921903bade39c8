namespace BatchAspire.FakeProvider;

/// <summary>
/// How one provider family (OpenAI, later Anthropic, Gemini) spells keys, errors and rate-limit headers.
/// <see cref="ProviderSimulation"/> decides what happens; the dialect only says it.
/// </summary>
internal interface IProviderDialect
{
    /// <summary>The API key the request carries, or null if none.</summary>
    string? ReadApiKey(HttpRequest request);

    IResult Unauthorized(bool keyMissing);

    IResult BadRequest(string message, string? param);

    IResult Outage();

    IResult QuotaExhausted();

    IResult RateLimited(RateLimitRejection rejection, string model);

    IResult ServerError(int status);

    void WriteRateLimitHeaders(HttpResponse response, RateLimitStatus status);
}
