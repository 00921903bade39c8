using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BatchAspire.Cli.Results;

public enum ResultFormat { Native, OpenAI }

/// <summary>
/// The output files of a job: successes to the output file, failures to the errors file when one is given
/// (else to the output file too), in the native or the OpenAI batch output format, each custom_id at most once.
/// Opened to resume, they keep their complete lines and continue after them.
/// </summary>
public sealed class ResultFiles : IDisposable
{
    private readonly FileStream _output;
    private readonly FileStream? _errors;
    private readonly ResultFormat _format;
    private readonly string? _imagesDir;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    private ResultFiles(FileStream output, FileStream? errors, ResultFormat format, string jobId, string? imagesDir)
    {
        _output = output;
        _errors = errors;
        _format = format;
        JobId = jobId;
        _imagesDir = imagesDir;
    }

    /// <summary>The job the lines belong to: the OpenAI format derives its stable request ids from it.</summary>
    public string JobId { get; set; }

    public int Succeeded { get; private set; }
    public int Failed { get; private set; }
    public int ImagesSaved { get; private set; }
    /// <summary>custom_ids already in the files (written now or by an earlier run).</summary>
    public int Count => _written.Count;

    /// <param name="resume">Keep what the files hold (complete lines) and append; otherwise start them empty.</param>
    public static ResultFiles Open(string output, string? errors, ResultFormat format, string jobId, string? imagesDir, bool resume)
    {
        var files = new ResultFiles(OpenFile(output, resume), errors is null ? null : OpenFile(errors, resume), format, jobId, imagesDir);
        if (resume)
        {
            files.Remember(files._output);
            if (files._errors is not null) files.Remember(files._errors);
        }
        if (imagesDir is not null) Directory.CreateDirectory(imagesDir);
        return files;
    }

    public bool Contains(string customId) => _written.Contains(customId);

    /// <summary>Writes one native result line; false when its custom_id is already in the files.</summary>
    public bool Write(ReadOnlySpan<byte> nativeLine)
    {
        using var document = JsonDocument.Parse(nativeLine.ToArray());
        var root = document.RootElement;
        var customId = root.GetProperty("custom_id").GetString()!;
        if (!_written.Add(customId)) return false;
        var succeeded = root.TryGetProperty("status", out var s) && s.ValueEquals("succeeded");
        if (succeeded) Succeeded++;
        else Failed++;

        var target = !succeeded && _errors is not null ? _errors : _output;
        if (_format == ResultFormat.Native) target.Write(nativeLine);
        else target.Write(OpenAILine(root, customId, succeeded));
        target.WriteByte((byte)'\n');

        if (succeeded && _imagesDir is not null && root.TryGetProperty("response", out var response)) SaveImages(customId, response);
        return true;
    }

    public void Flush()
    {
        _output.Flush();
        _errors?.Flush();
    }

    public void Dispose()
    {
        _output.Dispose();
        _errors?.Dispose();
    }

    /// <summary>The OpenAI batch output line: <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c>.</summary>
    private byte[] OpenAILine(JsonElement root, string customId, bool succeeded)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var hash = Hash(JobId + "\n" + customId);
            w.WriteStartObject();
            w.WriteString("id", "batch_req_" + hash);
            w.WriteString("custom_id", customId);
            if (succeeded)
            {
                w.WriteStartObject("response");
                w.WriteNumber("status_code", LastStatusCode(root) ?? 200);
                w.WriteString("request_id", "req_" + hash);
                w.WritePropertyName("body");
                if (root.TryGetProperty("response", out var body)) body.WriteTo(w);
                else w.WriteNullValue();
                w.WriteEndObject();
                w.WriteNull("error");
            }
            else
            {
                w.WriteNull("response");
                w.WriteStartObject("error");
                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
                w.WriteString("code", Text(error, "code") ?? "item_failed");
                w.WriteString("message", Text(error, "message") ?? "The request failed.");
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void SaveImages(string customId, JsonElement response)
    {
        var images = ImageExtractor.Find(response);
        var name = ImageExtractor.SafeFileName(customId);
        for (var i = 0; i < images.Count; i++)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(images[i].Base64);
            }
            catch (FormatException)
            {
                continue;
            }
            var file = images.Count == 1 ? $"{name}.{ImageExtractor.Extension(images[i].MimeType)}" : $"{name}-{i + 1}.{ImageExtractor.Extension(images[i].MimeType)}";
            File.WriteAllBytes(Path.Combine(_imagesDir!, file), bytes);
            ImagesSaved++;
        }
    }

    private static int? LastStatusCode(JsonElement root)
    {
        if (!root.TryGetProperty("attempts", out var attempts) || attempts.ValueKind != JsonValueKind.Array || attempts.GetArrayLength() == 0) return null;
        var last = attempts[attempts.GetArrayLength() - 1];
        return last.TryGetProperty("status_code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : null;
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..32];

    private static FileStream OpenFile(string path, bool resume)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        var stream = new FileStream(path, resume ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        if (resume) DropPartialLastLine(stream);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    /// <summary>A run killed mid-write leaves half a line: cut it, so the resumed run writes that result whole.</summary>
    private static void DropPartialLastLine(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0) return;
        var buffer = new byte[Math.Min(length, 64 * 1024)];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            stream.Seek(start, SeekOrigin.Begin);
            var count = (int)(end - start);
            stream.ReadExactly(buffer, 0, count);
            var newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                stream.SetLength(start + newline + 1);
                return;
            }
            end = start;
        }
        stream.SetLength(0);
    }

    private void Remember(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        using (var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0) continue;
                try
                {
                    using var document = JsonDocument.Parse(line);
                    if (document.RootElement.TryGetProperty("custom_id", out var id) && id.GetString() is { } customId) _written.Add(customId);
                }
                catch (JsonException)
                {
                    // A line this tool did not write; left as it is.
                }
            }
        }
        stream.Seek(0, SeekOrigin.End);
    }
}
