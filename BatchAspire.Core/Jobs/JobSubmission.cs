using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Globalization;
using BatchAspire.Core.Pricing;
using BatchAspire.Core.Providers;
using BatchAspire.Core.Providers.Translation;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Jobs;

/// <summary>
/// Turns a submission into a stored job, or into one clear error naming the offending item.
/// Validation is complete before anything is written, so a bad submission stores nothing.
/// </summary>
public sealed class JobSubmission(ProviderRegistry providers, JobStore store, IOptions<JobLimitsOptions> limits, PricingTable prices, Modes.ModePlanner modes)
{
    public const string DefaultUrl = ProviderEndpoints.ChatCompletions;
    public const string BudgetMetadataKey = "batchaspire_max_cost_usd";
    public static readonly string[] SupportedUrls = ProviderEndpoints.All;
    public static readonly string[] SupportedModes = Modes.ProcessingModes.Names;

    public async Task<(Job? Job, BatchError? Error)> SubmitAsync(string tenant, JobRequest request)
    {
        var (job, error) = Validate(tenant, request);
        if (error is not null) return (null, error);
        await store.CreateAsync(job!);
        return (await store.GetAnyAsync(job!.Id), null);
    }

    public (NewJob? Job, BatchError? Error) Validate(string tenant, JobRequest request)
    {
        var o = limits.Value;
        var mode = request.Mode ?? "fast";
        if (!SupportedModes.Contains(mode))
        {
            return (null, BatchError.Invalid($"Unknown mode '{mode}'. Supported modes: {string.Join(", ", SupportedModes)}.", "mode", "invalid_mode"));
        }
        if (request.Items is not { Count: > 0 } items)
        {
            return (null, BatchError.Invalid("The job has no items: 'items' must be a non-empty array.", "items", "empty_items"));
        }
        if (items.Count > o.MaxItems)
        {
            return (null, BatchError.Invalid($"The job has {items.Count} items; at most {o.MaxItems} are allowed (BatchAspire:Jobs:MaxItems).", "items", "too_many_items"));
        }
        if (request.Metadata is { } metadata && metadata.Any(p => p.Key.Length > 64 || p.Value.Length > 512))
        {
            return (null, BatchError.Invalid("Metadata keys are at most 64 characters and values at most 512.", "metadata", "invalid_metadata"));
        }

        TimeSpan? window = null;
        if (request.CompletionWindow is { } windowText)
        {
            if (!Batches.CompletionWindow.TryParse(windowText, out var parsed))
            {
                return (null, BatchError.Invalid($"completion_window '{windowText}' is not {Batches.CompletionWindow.Grammar}.", "completion_window", "invalid_completion_window"));
            }
            window = parsed;
        }

        var (budget, budgetError) = Budget(request);
        if (budgetError is not null) return (null, budgetError);

        var stored = new StoredItem[items.Count];
        var seen = new HashSet<string>(items.Count, StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var (item, error) = ValidateItem(i, items[i], request.Model, seen, o);
            if (error is not null) return (null, error);
            stored[i] = item!;
            if (budget is not null && prices.Find(item!.Model) is null)
            {
                return (null, BatchError.Invalid(
                    $"Item {i} (custom_id '{item.CustomId}') uses model '{item.Model}', which has no price, so the job's budget cannot be enforced. Add it as BatchAspire:Pricing:{item.Model}:input_cost_per_token and output_cost_per_token, or submit without a budget.",
                    $"items[{i}].body.model", "model_not_priced"));
            }
        }
        var plan = modes.Plan(mode, stored, stored.Length, window);
        if (plan.Refusal is not null) return (null, plan.Refusal);
        return (new NewJob(NewJob.NewId(), tenant, mode, request.Model, stored, request.Metadata, budget is { } usd ? Money.FromUsd(usd) : null)
        {
            CompletionWindow = request.CompletionWindow,
            CompletionWindowLength = window,
            Plan = plan,
        }, null);
    }

    /// <summary>The job's budget: <c>max_cost_usd</c>, or <c>metadata.batchaspire_max_cost_usd</c> (the OpenAI-compatible spelling).</summary>
    private static (decimal? Usd, BatchError? Error) Budget(JobRequest request)
    {
        decimal? fromMetadata = null;
        if (request.Metadata?.TryGetValue(BudgetMetadataKey, out var text) == true)
        {
            if (!decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
            {
                return (null, BatchError.Invalid($"metadata.{BudgetMetadataKey} must be a number of USD such as \"12.50\" (was '{text}').", $"metadata.{BudgetMetadataKey}", "invalid_budget"));
            }
            fromMetadata = parsed;
        }
        if (request.MaxCostUsd is { } top && fromMetadata is { } meta && top != meta)
        {
            return (null, BatchError.Invalid($"max_cost_usd ({top}) and metadata.{BudgetMetadataKey} ({meta}) disagree; give one.", "max_cost_usd", "invalid_budget"));
        }
        var budget = request.MaxCostUsd ?? fromMetadata;
        if (budget is <= 0 or > 1_000_000)
        {
            return (null, BatchError.Invalid($"max_cost_usd must be more than 0 and at most 1000000 (was {budget}).", "max_cost_usd", "invalid_budget"));
        }
        return (budget, null);
    }

    private (StoredItem?, BatchError?) ValidateItem(int i, JobItemRequest? item, string? defaultModel, HashSet<string> seen, JobLimitsOptions o)
    {
        var at = $"items[{i}]";
        if (item is null) return (null, BatchError.Invalid($"Item {i} is null; each item is an object with 'custom_id' and 'body'.", at, "invalid_item"));
        var name = item.CustomId is null ? $"Item {i}" : $"Item {i} (custom_id '{item.CustomId}')";
        if (string.IsNullOrEmpty(item.CustomId))
        {
            return (null, BatchError.Invalid($"Item {i} has no custom_id; every item needs one, unique within the job.", at + ".custom_id", "missing_custom_id"));
        }
        if (item.CustomId.Length > o.MaxCustomIdLength)
        {
            return (null, BatchError.Invalid($"{name[..Math.Min(name.Length, 40)]}…: custom_id is longer than {o.MaxCustomIdLength} characters.", at + ".custom_id", "invalid_custom_id"));
        }
        if (!seen.Add(item.CustomId))
        {
            return (null, BatchError.Invalid($"{name} repeats a custom_id already used in this job; custom_id must be unique.", at + ".custom_id", "duplicate_custom_id"));
        }
        if (item.Body is not { } body || body.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return (null, BatchError.Invalid($"{name} has no body; 'body' is the provider request, a JSON object.", at + ".body", "missing_body"));
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, BatchError.Invalid($"{name} has a body that is a JSON {body.ValueKind.ToString().ToLowerInvariant()}, not an object.", at + ".body", "invalid_body"));
        }
        var size = JsonMarshal.GetRawUtf8Value(body).Length;
        if (size > o.MaxItemBytes)
        {
            return (null, BatchError.Invalid($"{name} has a body of {size} bytes; at most {o.MaxItemBytes} are allowed (BatchAspire:Jobs:MaxItemBytes).", at + ".body", "item_too_large"));
        }
        if (ProviderEndpoints.Normalise(item.Url ?? DefaultUrl) is not { } normalised)
        {
            return (null, BatchError.Invalid($"{name} targets '{item.Url}'; supported endpoints: {string.Join(", ", SupportedUrls)}.", at + ".url", "invalid_url"));
        }
        var (url, urlModel) = normalised;

        var model = body.TryGetProperty("model", out var m) ? m.ValueKind == JsonValueKind.String ? m.GetString() : null : urlModel ?? defaultModel;
        if (body.TryGetProperty("model", out m) && m.ValueKind != JsonValueKind.String)
        {
            return (null, BatchError.Invalid($"{name} has a body.model that is not a string.", at + ".body.model", "invalid_model"));
        }
        if (string.IsNullOrWhiteSpace(model))
        {
            return (null, BatchError.Invalid($"{name} names no model: set body.model, or the job's 'model'.", at + ".body.model", "missing_model"));
        }
        if (providers.Resolve(model) is not { } route)
        {
            return (null, BatchError.Invalid(
                $"{name} asks for model '{model}', which no configured provider serves. Use 'provider/model' or configure BatchAspire:Providers:{{name}}:Models.",
                at + ".body.model", "model_not_found"));
        }
        var type = providers.TypeOf(route.Provider);
        if (!ProviderEndpoints.Serves(type, url))
        {
            return (null, BatchError.Invalid(
                $"{name} targets '{url}', but model '{model}' is served by provider '{route.Provider}' (type {type}), which does not speak it. " +
                "OpenAI endpoints go to OpenAI-compatible providers, /v1/messages to Anthropic, :generateContent to Gemini; /v1/chat/completions goes to any of them.",
                at + ".url", "invalid_url"));
        }
        if (!ProviderEndpoints.IsNative(type, url) && ChatTranslation.Check(body, type) is { } problem)
        {
            return (null, BatchError.Invalid($"{name}: {problem.Message} (model '{model}' is served by provider '{route.Provider}', type {type})", $"{at}.body.{problem.Path}", "untranslatable_request"));
        }
        return (new StoredItem(item.CustomId, route.Provider, route.Model, url, WithModel(body, route.Model)), null);
    }

    /// <summary>The body as the provider must receive it: its <c>model</c> set to the resolved model name.</summary>
    public static JsonElement WithModel(JsonElement body, string model)
    {
        if (body.TryGetProperty("model", out var m) && m.ValueEquals(model)) return body;
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            foreach (var property in body.EnumerateObject())
            {
                if (!property.NameEquals("model")) property.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }
}
