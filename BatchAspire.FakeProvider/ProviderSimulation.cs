using System.Text.Json;

namespace BatchAspire.FakeProvider;

/// <summary>
/// The life of one provider call, the same for every wire format:
/// auth → outage → quota → parse → limits → fault and latency draw → answer.
/// Rejected requests are not counted in the limit windows; admitted ones are, even if a
/// fault is then injected (the provider accepted them before failing).
/// </summary>
internal sealed class ProviderSimulation(
    FakeProviderOptions options,
    FakeProviderStats stats,
    LimitEnforcer limits,
    FaultInjector faults,
    TimeProvider time)
{
    /// <summary>Header carrying the client's item id (its custom_id), counted per value in stats.</summary>
    public const string ClientRequestIdHeader = "X-Client-Request-Id";

    public FakeProviderOptions Options => options;

    /// <summary>The clock of the limit windows, outages and <c>created</c> stamps.</summary>
    public TimeProvider Time => time;

    public async Task<IResult> ServeAsync(HttpContext context, IProviderDialect dialect, Func<JsonElement, ProviderWork> parse)
    {
        var request = context.Request;
        var response = context.Response;
        var key = dialect.ReadApiKey(request);
        stats.RecordRequest(request.Headers[ClientRequestIdHeader].ToString(), carriedKey: key is not null);

        var requiredKey = options.ApiKey;
        if (!string.IsNullOrEmpty(requiredKey) && !string.Equals(key, requiredKey, StringComparison.Ordinal))
        {
            stats.RecordUnauthorized();
            return dialect.Unauthorized(keyMissing: key is null);
        }

        if (options.SendRateLimitHeaders)
        {
            dialect.WriteRateLimitHeaders(response, limits.CurrentStatus());
        }

        if (options.DownUntil is { } downUntil && downUntil > time.GetUtcNow())
        {
            stats.RecordOutage();
            return dialect.Outage();
        }

        if (options.QuotaExhausted)
        {
            stats.RecordQuotaRejection();
            return dialect.QuotaExhausted();
        }

        ProviderWork work;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
            work = parse(body.RootElement);
        }
        catch (JsonException)
        {
            stats.RecordBadRequest();
            return dialect.BadRequest("We could not parse the JSON body of your request. The body must be valid JSON.", null);
        }
        catch (InvalidProviderRequestException invalid)
        {
            stats.RecordBadRequest();
            return dialect.BadRequest(invalid.Message, invalid.Param);
        }

        var admission = limits.TryAdmit(work.AdmissionTokens);
        if (options.SendRateLimitHeaders)
        {
            dialect.WriteRateLimitHeaders(response, admission.Status);
        }

        if (admission.Rejection is { } rejection)
        {
            stats.RecordRateLimited(rejection.Dimension);
            return dialect.RateLimited(rejection, work.Model);
        }

        try
        {
            return await AnswerAdmittedAsync(context, dialect, work);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        finally
        {
            limits.Release();
        }
    }

    private async Task<IResult> AnswerAdmittedAsync(HttpContext context, IProviderDialect dialect, ProviderWork work)
    {
        var plan = faults.Draw();
        if (plan.DelayMs > 0)
        {
            // Real time on purpose: latency is what the client experiences, not what the limiter measures.
            await Task.Delay(plan.DelayMs, context.RequestAborted);
        }

        switch (plan.Fault)
        {
            case InjectedFault.DropConnection:
                stats.RecordDropped();
                context.Abort();
                return Results.Empty;
            case InjectedFault.ServerError:
                stats.RecordServerError();
                return dialect.ServerError(plan.ServerErrorStatus);
            default:
                stats.RecordSuccess(work.PromptTokens, work.CompletionTokens);
                return work.Respond();
        }
    }
}
