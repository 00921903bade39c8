using System.Buffers;
using System.Text.Json;
using BatchAspire.Core.Files;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Api.V1;

/// <summary>
/// A batch's output file (successes) and error file (failures), in OpenAI's line format. They are not
/// stored: their content is generated from the job's results each time it is read, so nothing is copied.
/// They exist once the batch has ended (completed, cancelled or expired) with results of their kind.
/// </summary>
public sealed class BatchOutputFiles(JobStore jobs, FileStore files)
{
    private const string OutputPrefix = "file-output-";
    private const string ErrorPrefix = "file-errors-";
    private const int Chunk = 1000;

    public static string OutputId(string jobId) => OutputPrefix + jobId["job_".Length..];
    public static string ErrorId(string jobId) => ErrorPrefix + jobId["job_".Length..];

    public static bool HasOutput(Job job) => Ended(job) && job.Counts.Completed > 0;
    public static bool HasErrors(Job job) => Ended(job) && job.Counts.Failed > 0;

    private static bool Ended(Job job) =>
        job.InputFileId is not null && job.Status is JobStatus.Completed or JobStatus.Cancelled or JobStatus.Expired;

    public static bool IsGenerated(string fileId) =>
        fileId.StartsWith(OutputPrefix, StringComparison.Ordinal) || fileId.StartsWith(ErrorPrefix, StringComparison.Ordinal);

    /// <summary>The batch behind a generated file id, when the file exists for this tenant.</summary>
    public async Task<(Job Job, bool Errors)?> ResolveAsync(string tenant, string fileId)
    {
        var errors = fileId.StartsWith(ErrorPrefix, StringComparison.Ordinal);
        if (!errors && !fileId.StartsWith(OutputPrefix, StringComparison.Ordinal)) return null;
        var jobId = "job_" + fileId[OutputPrefix.Length..];
        if (await jobs.GetAsync(tenant, jobId) is not { } job) return null;
        return (errors ? HasErrors(job) : HasOutput(job)) ? (job, errors) : null;
    }

    /// <summary>Lists the batch's generated files among the tenant's files (once; cheap to repeat).</summary>
    public async Task RegisterAsync(Job job)
    {
        var at = job.FinishedAt ?? job.CreatedAt;
        if (HasOutput(job)) await files.RegisterGeneratedAsync(job.Tenant, OutputId(job.Id), at);
        if (HasErrors(job)) await files.RegisterGeneratedAsync(job.Tenant, ErrorId(job.Id), at);
    }

    public async Task<FileObject> DescribeAsync(Job job, bool errors, CancellationToken cancellationToken)
    {
        var counter = new ByteCounter();
        await WriteAsync(counter, job, errors, cancellationToken);
        var batch = BatchIds.FromJobId(job.Id);
        return new FileObject(errors ? ErrorId(job.Id) : OutputId(job.Id), counter.Count, job.FinishedAt ?? job.CreatedAt, null,
            $"{batch}_{(errors ? "error" : "output")}.jsonl", FilePurposes.BatchOutput);
    }

    /// <summary>Writes the file, reading results in input order a chunk at a time.</summary>
    public async Task WriteAsync(Stream stream, Job job, bool errors, CancellationToken cancellationToken)
    {
        var hex = job.Id["job_".Length..];
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        for (long start = 0; start < job.Counts.Total; start += Chunk)
        {
            var results = await jobs.ReadIndexedResultsAsync(job.Id, start, (int)Math.Min(Chunk, job.Counts.Total - start));
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                foreach (var (index, json) in results)
                {
                    using var doc = JsonDocument.Parse(json);
                    var succeeded = doc.RootElement.GetProperty("status").ValueEquals(ItemStatus.Succeeded);
                    if (succeeded == errors) continue;
                    WriteLine(w, hex, index, doc.RootElement, succeeded);
                    w.Flush();
                    buffer.Write("\n"u8);
                    w.Reset(buffer);
                }
            }
            if (buffer.WrittenCount > 0) await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
        }
    }

    /// <summary>One line: <c>{"id","custom_id","response":{"status_code","request_id","body"}|null,"error":{"code","message"}|null}</c>.</summary>
    private static void WriteLine(Utf8JsonWriter w, string jobHex, long index, JsonElement result, bool succeeded)
    {
        w.WriteStartObject();
        w.WriteString("id", $"batch_req_{jobHex}{index:x8}");
        w.WriteString("custom_id", result.GetProperty("custom_id").GetString());
        var status = LastStatusCode(result);
        if (succeeded || status is not null)
        {
            w.WriteStartObject("response");
            w.WriteNumber("status_code", status ?? 200);
            w.WriteString("request_id", $"req_{jobHex}{index:x8}");
            w.WritePropertyName("body");
            if (!succeeded) WriteErrorBody(w, result, status!.Value);
            else if (result.TryGetProperty("response", out var body) && body.ValueKind == JsonValueKind.Object) body.WriteTo(w);
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteNull("error");
        }
        else
        {
            w.WriteNull("response");
            w.WriteStartObject("error");
            var (code, message) = Error(result);
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>The provider's error, in the OpenAI error body shape, as the failed request's response body.</summary>
    private static void WriteErrorBody(Utf8JsonWriter w, JsonElement result, int status)
    {
        var (code, message) = Error(result);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", status >= 500 ? "server_error" : "invalid_request_error");
        w.WriteNull("param");
        w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static (string Code, string Message) Error(JsonElement result) =>
        result.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
            ? (e.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "", e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "")
            : ("provider_error", "The request failed.");

    private static int? LastStatusCode(JsonElement result)
    {
        if (!result.TryGetProperty("attempts", out var attempts) || attempts.ValueKind != JsonValueKind.Array) return null;
        var length = attempts.GetArrayLength();
        if (length == 0) return null;
        var last = attempts[length - 1];
        return last.TryGetProperty("status_code", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
    }

    /// <summary>A write-only stream that only counts, to size a generated file without holding it.</summary>
    private sealed class ByteCounter : Stream
    {
        public long Count { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
