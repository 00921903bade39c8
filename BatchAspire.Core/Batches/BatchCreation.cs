using System.Globalization;
using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using Microsoft.Extensions.Options;

namespace BatchAspire.Core.Batches;

/// <summary>
/// Creates a batch (a job) from an uploaded file. A bad request is refused outright (400/404); a bad file
/// gives a batch created as <c>failed</c>, its <c>errors</c> naming each bad line, with nothing run. The file
/// is validated streaming from the store and its items are staged in chunks: they go live in one step only
/// when every line is valid.
/// </summary>
public sealed class BatchCreation(
    FileStore files, JobStore jobs, ProviderRegistry providers, IOptions<JobLimitsOptions> limits, IOptions<FilesOptions> fileLimits,
    Modes.ModePlanner modes)
{
    public static readonly string[] SupportedEndpoints = JobSubmission.SupportedUrls;

    public async Task<BatchCreationResult> CreateAsync(string tenant, BatchRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.InputFileId)) return Refuse("Missing required parameter: 'input_file_id'.", "input_file_id", "missing_required_parameter");
        if (string.IsNullOrEmpty(request.Endpoint)) return Refuse("Missing required parameter: 'endpoint'.", "endpoint", "missing_required_parameter");
        if (!SupportedEndpoints.Contains(request.Endpoint))
        {
            return Refuse($"Invalid endpoint '{request.Endpoint}'. Supported: {string.Join(", ", SupportedEndpoints)}.", "endpoint", "invalid_value");
        }
        if (string.IsNullOrEmpty(request.CompletionWindow)) return Refuse("Missing required parameter: 'completion_window'.", "completion_window", "missing_required_parameter");
        if (!CompletionWindow.TryParse(request.CompletionWindow, out var window))
        {
            return Refuse($"Invalid completion_window '{request.CompletionWindow}': use {CompletionWindow.Grammar}.", "completion_window", "invalid_value");
        }

        var metadata = request.Metadata;
        if (metadata is not null)
        {
            if (metadata.Count > 16) return Refuse("metadata holds at most 16 key-value pairs.", "metadata", "invalid_metadata");
            if (metadata.Any(p => p.Key.Length > 64 || p.Value is null || p.Value.Length > 512))
            {
                return Refuse("metadata keys are strings of at most 64 characters and values strings of at most 512.", "metadata", "invalid_metadata");
            }
        }
        var mode = Extension(metadata, BatchMetadataKeys.Mode) ?? "fast";
        if (!JobSubmission.SupportedModes.Contains(mode))
        {
            return Refuse($"Unknown mode '{mode}' in metadata.{BatchMetadataKeys.Mode}. Supported modes: {string.Join(", ", JobSubmission.SupportedModes)}.",
                $"metadata.{BatchMetadataKeys.Mode}", "invalid_mode");
        }
        var provider = Extension(metadata, BatchMetadataKeys.Provider);
        if (provider is not null && !providers.Providers.ContainsKey(provider))
        {
            return Refuse($"Unknown provider '{provider}' in metadata.{BatchMetadataKeys.Provider}. Configured: {string.Join(", ", providers.Providers.Keys)}.",
                $"metadata.{BatchMetadataKeys.Provider}", "invalid_provider");
        }
        var model = Extension(metadata, BatchMetadataKeys.Model);
        if (model is not null && providers.Resolve(provider is null ? model : $"{provider}/{model}") is null)
        {
            return Refuse($"The model '{model}' in metadata.{BatchMetadataKeys.Model} does not exist or no configured provider serves it.",
                $"metadata.{BatchMetadataKeys.Model}", "model_not_found");
        }
        if (Extension(metadata, BatchMetadataKeys.MaxCostUsd) is { } budget
            && (!decimal.TryParse(budget, NumberStyles.Number, CultureInfo.InvariantCulture, out var usd) || usd <= 0))
        {
            return Refuse($"metadata.{BatchMetadataKeys.MaxCostUsd} must be a positive decimal number of US dollars (was '{budget}').",
                $"metadata.{BatchMetadataKeys.MaxCostUsd}", "invalid_budget");
        }

        var file = await files.GetAsync(tenant, request.InputFileId);
        if (file is null) return new BatchCreationResult(null, BatchError.NotFound("file", request.InputFileId) with { Param = "input_file_id" }, true);
        if (file.Purpose != FilePurposes.Batch)
        {
            return Refuse($"The file {file.Id} has purpose '{file.Purpose}'; a batch input file must be uploaded with purpose 'batch'.", "input_file_id", "invalid_file_purpose");
        }

        var maxItems = Math.Min(limits.Value.MaxItems, fileLimits.Value.MaxLines);
        var validator = new BatchInputValidator(providers, limits.Value, maxItems, request.Endpoint, model, provider);
        var id = NewJob.NewId();
        var total = await jobs.StageItemsAsync(id, validator.ItemsAsync(files, file.Id, cancellationToken), cancellationToken);
        var job = new NewJob(id, tenant, mode, validator.FirstModel, [], metadata)
        {
            InputFileId = file.Id,
            Endpoint = request.Endpoint,
            CompletionWindow = request.CompletionWindow,
            CompletionWindowLength = window,
            Plan = modes.Plan(mode, [], total, window),
        };
        await jobs.GoLiveAsync(job, total, validator.Errors.Count > 0 ? validator.Errors : null);
        return new BatchCreationResult(await jobs.GetAnyAsync(id), null, false);
    }

    private static string? Extension(Dictionary<string, string>? metadata, string key) =>
        metadata is not null && metadata.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static BatchCreationResult Refuse(string message, string param, string code) => new(null, BatchError.Invalid(message, param, code), false);
}

/// <summary>The created batch's job, or why the request was refused (<see cref="NotFound"/>: the input file).</summary>
public sealed record BatchCreationResult(Job? Job, BatchError? Error, bool NotFound);
