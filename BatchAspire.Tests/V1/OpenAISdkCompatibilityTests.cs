#pragma warning disable OPENAI001 // BatchClient is marked experimental in the SDK
#pragma warning disable xUnit1051 // the SDK calls take the test's own 60 s token where they accept one
using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace BatchAspire.Tests.V1;

/// <summary>The official OpenAI .NET SDK, unchanged, with its endpoint pointed at a running BatchAspire Api.</summary>
[Collection(V1ApiCollection.Name)]
public sealed class OpenAISdkCompatibilityTests(V1ApiFixture api)
{
    [Fact]
    public async Task Official_OpenAI_SDK_runs_the_whole_batch_flow()
    {
        var client = new OpenAIClient(new ApiKeyCredential(V1ApiFixture.KeyA), new OpenAIClientOptions { Endpoint = new Uri(api.BaseUrl + "/v1") });
        var files = client.GetOpenAIFileClient();
        var batches = client.GetBatchClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var input = V1Http.Lines(V1Http.Line("sdk-1"), V1Http.Line("sdk-2"), V1Http.Line("sdk-bad", extra: "\"sim_fail\":\"permanent\""));
        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(input), "sdk.jsonl", FileUploadPurpose.Batch);
        Assert.StartsWith("file-", file.Id);
        Assert.Equal("sdk.jsonl", file.Filename);
        Assert.Equal(FilePurpose.Batch, file.Purpose);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(input), file.SizeInBytesLong);
        OpenAIFile fetched = await files.GetFileAsync(file.Id);
        Assert.Equal(file.Id, fetched.Id);

        var request = BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            input_file_id = file.Id,
            endpoint = "/v1/chat/completions",
            completion_window = "24h",
            metadata = new Dictionary<string, string> { ["batchaspire_mode"] = "fast", ["run"] = "sdk" },
        }));
        CreateBatchOperation operation = await batches.CreateBatchAsync(request, waitUntilCompleted: false);
        Assert.StartsWith("batch_", operation.BatchId);

        JsonElement batch;
        while (true)
        {
            var result = await operation.GetBatchAsync(new() { CancellationToken = timeout.Token });
            batch = JsonDocument.Parse(result.GetRawResponse().Content).RootElement.Clone();
            if (batch.GetProperty("status").GetString() is "completed" or "failed" or "expired" or "cancelled") break;
            await Task.Delay(50, timeout.Token);
        }
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(2, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(1, batch.GetProperty("request_counts").GetProperty("failed").GetInt32());

        BinaryData output = await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!);
        var successes = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["sdk-1", "sdk-2"], successes.Select(l => l.GetProperty("custom_id").GetString()).Order());
        Assert.All(successes, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));

        BinaryData errors = await files.DownloadFileAsync(batch.GetProperty("error_file_id").GetString()!);
        var failure = JsonDocument.Parse(errors.ToString().Trim()).RootElement;
        Assert.Equal("sdk-bad", failure.GetProperty("custom_id").GetString());
        Assert.Equal(400, failure.GetProperty("response").GetProperty("status_code").GetInt32());

        // The SDK's typed models deserialize our objects strictly.
        OpenAIFile outputFile = await files.GetFileAsync(batch.GetProperty("output_file_id").GetString()!);
        Assert.Equal(FilePurpose.BatchOutput, outputFile.Purpose);
        OpenAIFileCollection outputs = await files.GetFilesAsync(FilePurpose.BatchOutput);
        Assert.Contains(outputs, f => f.Id == outputFile.Id);
        OpenAIFileCollection all = await files.GetFilesAsync();
        Assert.Contains(all, f => f.Id == file.Id);

        BatchJob? listed = null;
        await foreach (var job in batches.GetBatchesAsync(new BatchCollectionOptions { PageSizeLimit = 2 }, timeout.Token))
        {
            if (job.Id == operation.BatchId)
            {
                listed = job;
                break;
            }
        }
        Assert.NotNull(listed);
        Assert.Equal(file.Id, listed.InputFileId);
        Assert.Equal(outputFile.Id, listed.OutputFileId);
        Assert.Equal("/v1/chat/completions", listed.Endpoint);
        Assert.Equal("24h", listed.CompletionWindow);
        Assert.NotNull(listed.CompletedAt);
        Assert.NotNull(listed.ExpiresAt);
        Assert.Null(listed.FailedAt);
        Assert.Equal("sdk", listed.Metadata["run"]);

        // Cancel a second batch that cannot finish quickly (the slow simulated provider).
        OpenAIFile slow = await files.UploadFileAsync(BinaryData.FromString(V1Http.Lines(V1Http.Line("slow-1", model: "slow-model"))), "slow.jsonl", FileUploadPurpose.Batch);
        CreateBatchOperation slowBatch = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            input_file_id = slow.Id,
            endpoint = "/v1/chat/completions",
            completion_window = "24h",
        })), waitUntilCompleted: false);
        var cancelled = JsonDocument.Parse((await slowBatch.CancelAsync(new() { CancellationToken = timeout.Token })).GetRawResponse().Content).RootElement;
        Assert.Contains(cancelled.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });

        FileDeletionResult deleted = await files.DeleteFileAsync(slow.Id);
        Assert.True(deleted.Deleted);
        Assert.Equal(slow.Id, deleted.FileId);
    }
}
