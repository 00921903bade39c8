using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Store;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BatchAspire.Core.Files;

/// <summary>
/// Uploaded files: streamed into the store in fixed-size chunks as they arrive and streamed back out, so a
/// file of any allowed size passes through the Api in constant memory.
/// </summary>
public sealed class FileStore(IConnectionMultiplexer redis, JobScripts scripts, RedisKeys keys, IOptions<FilesOptions> options, IOptions<StoreOptions> store)
{
    public const int ChunkBytes = 256 * 1024;
    private const int MaxWritesInFlight = 8;
    private const int ChunksPerRead = 4;

    /// <summary>Content being uploaded expires on its own if the upload never completes.</summary>
    private static readonly TimeSpan StagingTtl = TimeSpan.FromHours(1);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// Streams <paramref name="content"/> into staging under a new file id, counting bytes and lines, and
    /// enforcing <see cref="FilesOptions"/> as it goes. On a violation nothing stays stored.
    /// </summary>
    public async Task<(StagedFile? File, BatchError? Error)> StageAsync(Stream content, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var id = FileIdFormat.NewId();
        var db = Db;
        var linesKey = keys.FileLines(id);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var pending = new List<Task>();
        long bytes = 0, newlines = 0;
        var filled = 0;
        byte last = 0;
        var chunks = 0;
        try
        {
            while (true)
            {
                var n = await content.ReadAsync(buffer.AsMemory(filled, ChunkBytes - filled), cancellationToken);
                if (n > 0)
                {
                    newlines += buffer.AsSpan(filled, n).Count((byte)'\n');
                    bytes += n;
                    filled += n;
                    last = buffer[filled - 1];
                    var lines = newlines + (last == '\n' ? 0 : 1);
                    BatchError? error = bytes > o.MaxBytes
                        ? BatchError.Invalid($"The file is larger than {o.MaxBytes} bytes (BatchAspire:Files:MaxBytes).", "file", "file_too_large")
                        : lines > o.MaxLines
                            ? BatchError.Invalid($"The file has more than {o.MaxLines} lines (BatchAspire:Files:MaxLines).", "file", "too_many_lines")
                            : null;
                    if (error is not null)
                    {
                        await Task.WhenAll(pending);
                        await db.KeyDeleteAsync(linesKey);
                        return (null, error);
                    }
                }
                if (filled == ChunkBytes || (n == 0 && filled > 0))
                {
                    pending.Add(db.ListRightPushAsync(linesKey, buffer.AsSpan(0, filled).ToArray()));
                    if (chunks++ == 0) pending.Add(db.KeyExpireAsync(linesKey, StagingTtl));
                    filled = 0;
                    if (pending.Count >= MaxWritesInFlight)
                    {
                        await Task.WhenAll(pending);
                        pending.Clear();
                    }
                }
                if (n == 0) break;
            }
            await Task.WhenAll(pending);
        }
        catch
        {
            await Task.WhenAll(pending).ContinueWith(_ => { }, TaskScheduler.Default);
            await db.KeyDeleteAsync(linesKey);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (new StagedFile(id, bytes, bytes == 0 ? 0 : newlines + (last == '\n' ? 0 : 1)), null);
    }

    /// <summary>Makes a staged file live for <paramref name="tenant"/>, kept for the store's retention.</summary>
    public async Task<StoredFile> CommitAsync(StagedFile staged, string tenant, string filename, string purpose)
    {
        var retention = (long)store.Value.Retention.TotalSeconds;
        var createdAt = (long)await scripts.RunAsync(JobScripts.CreateFile, keys.FileScriptKeys(staged.Id, tenant),
        [
            staged.Id, retention,
            "id", staged.Id, "tenant", tenant, "filename", filename, "purpose", purpose,
            "bytes", staged.Bytes, "lines", staged.Lines,
        ]);
        return new StoredFile(staged.Id, tenant, filename, purpose, staged.Bytes, staged.Lines, createdAt, createdAt + retention);
    }

    public Task DiscardAsync(StagedFile staged) => Db.KeyDeleteAsync(keys.FileLines(staged.Id));

    /// <summary>The uploaded file, or null when it does not exist or belongs to another tenant.</summary>
    public async Task<StoredFile?> GetAsync(string tenant, string fileId)
    {
        if (!FileIdFormat.IsUploaded(fileId)) return null;
        var entries = await Db.HashGetAllAsync(keys.FileMeta(fileId));
        if (entries.Length == 0) return null;
        var f = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        if (f.GetValueOrDefault("tenant") != tenant) return null;
        long L(string name) => long.TryParse(f.GetValueOrDefault(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new StoredFile(fileId, tenant, f.GetValueOrDefault("filename") ?? "", f.GetValueOrDefault("purpose") ?? "",
            L("bytes"), L("lines"), L("created_at"), L("expires_at") is > 0 and var e ? e : null);
    }

    public async Task<bool> DeleteAsync(string tenant, string fileId)
    {
        if (await GetAsync(tenant, fileId) is null) return false;
        return (long)await scripts.RunAsync(JobScripts.DeleteFile, keys.FileScriptKeys(fileId, tenant), [fileId]) == 1;
    }

    /// <summary>The tenant's file ids, newest first, after <paramref name="after"/>; generated files included.</summary>
    public async Task<IReadOnlyList<string>> ListIdsAsync(string tenant, string? after, long skip, int take)
    {
        var index = keys.TenantFiles(tenant);
        long start = skip;
        if (after is not null)
        {
            var rank = await Db.SortedSetRankAsync(index, after, Order.Descending);
            if (rank is null) return [];
            start += rank.Value + 1;
        }
        return [.. (await Db.SortedSetRangeByRankAsync(index, start, start + take - 1, Order.Descending)).Select(v => v.ToString())];
    }

    /// <summary>Lists a generated file (a batch's output or error file) in the tenant's index, once.</summary>
    public Task RegisterGeneratedAsync(string tenant, string fileId, long createdAt) =>
        Db.SortedSetAddAsync(keys.TenantFiles(tenant), fileId, createdAt, SortedSetWhen.NotExists);

    public Task ForgetAsync(string tenant, string fileId) => Db.SortedSetRemoveAsync(keys.TenantFiles(tenant), fileId);

    /// <summary>The raw content, chunk by chunk, in order.</summary>
    public async IAsyncEnumerable<byte[]> ReadChunksAsync(string fileId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var key = keys.FileLines(fileId);
        for (long start = 0; ; start += ChunksPerRead)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunks = await Db.ListRangeAsync(key, start, start + ChunksPerRead - 1);
            foreach (var chunk in chunks) yield return (byte[])chunk!;
            if (chunks.Length < ChunksPerRead) yield break;
        }
    }

    /// <summary>
    /// The content line by line (1-based numbers, '\r\n' tolerated). A line longer than
    /// <paramref name="maxLineBytes"/> is reported as too long, without its bytes, so memory stays bounded.
    /// </summary>
    public async IAsyncEnumerable<FileLine> ReadLinesAsync(string fileId, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var carry = new ArrayBufferWriter<byte>(64 * 1024);
        var tooLong = false;
        long number = 0;
        await foreach (var chunk in ReadChunksAsync(fileId, cancellationToken))
        {
            var rest = chunk.AsMemory();
            while (rest.Length > 0)
            {
                var nl = rest.Span.IndexOf((byte)'\n');
                var part = nl < 0 ? rest : rest[..nl];
                if (!tooLong)
                {
                    if (carry.WrittenCount + part.Length > maxLineBytes) tooLong = true;
                    else carry.Write(part.Span);
                }
                if (nl < 0) break;
                rest = rest[(nl + 1)..];
                yield return Line(++number, carry, tooLong);
                carry.ResetWrittenCount();
                tooLong = false;
            }
        }
        if (carry.WrittenCount > 0 || tooLong) yield return Line(++number, carry, tooLong);
    }

    private static FileLine Line(long number, ArrayBufferWriter<byte> carry, bool tooLong)
    {
        var bytes = carry.WrittenMemory;
        if (bytes.Length > 0 && bytes.Span[^1] == '\r') bytes = bytes[..^1];
        return new FileLine(number, tooLong ? default : bytes, tooLong);
    }
}

/// <summary>An upload in staging: its content is stored, it is not yet visible.</summary>
public sealed record StagedFile(string Id, long Bytes, long Lines);
