using System.Net;
using System.Text;
using StackExchange.Redis;
using static BatchAspire.Tests.V1.V1Http;

namespace BatchAspire.Tests.V1;

[Collection(V1ApiCollection.Name)]
public sealed class FilesApiTests(V1ApiFixture api)
{
    [Fact]
    public async Task Uploaded_file_can_be_read_listed_downloaded_and_deleted()
    {
        using var client = api.Client();
        var content = Lines(Line("a"), Line("b"), Line("c"));
        var (status, file) = await UploadAsync(client, content, filename: "three.jsonl");
        Assert.Equal(200, status);
        var id = file.GetProperty("id").GetString()!;
        Assert.StartsWith("file-", id);
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(content), file.GetProperty("bytes").GetInt64());
        Assert.Equal("three.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal("batch", file.GetProperty("purpose").GetString());
        Assert.Equal("processed", file.GetProperty("status").GetString());
        Assert.True(file.GetProperty("created_at").GetInt64() > 0);

        var (getStatus, got) = await GetAsync(client, $"/v1/files/{id}");
        Assert.Equal(200, getStatus);
        Assert.Equal(id, got.GetProperty("id").GetString());

        Assert.Equal(content, await client.GetStringAsync($"/v1/files/{id}/content", TestContext.Current.CancellationToken));

        var (listStatus, list) = await GetAsync(client, "/v1/files?purpose=batch");
        Assert.Equal(200, listStatus);
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Contains(list.GetProperty("data").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
        Assert.False(list.GetProperty("has_more").GetBoolean());
        var (_, outputs) = await GetAsync(client, "/v1/files?purpose=batch_output");
        Assert.DoesNotContain(outputs.GetProperty("data").EnumerateArray(), f => f.GetProperty("id").GetString() == id);

        var deleted = await ReadAsync(await client.DeleteAsync($"/v1/files/{id}", TestContext.Current.CancellationToken));
        Assert.Equal(200, deleted.Status);
        Assert.Equal(id, deleted.Body.GetProperty("id").GetString());
        Assert.Equal("file", deleted.Body.GetProperty("object").GetString());
        Assert.True(deleted.Body.GetProperty("deleted").GetBoolean());
        Assert.Equal(404, (await GetAsync(client, $"/v1/files/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/files/{id}/content", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task File_list_pages_with_limit_and_after()
    {
        using var client = api.Client(V1ApiFixture.KeyB);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await UploadAsync(client, Lines(Line($"p{i}")))).Body.GetProperty("id").GetString()!);

        var (_, first) = await GetAsync(client, "/v1/files?limit=2");
        Assert.Equal(2, first.GetProperty("data").GetArrayLength());
        Assert.True(first.GetProperty("has_more").GetBoolean());

        // Other tests of this tenant may have files from the same second: page to the end, then every
        // file must have been seen exactly once.
        var seen = first.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        var page = first;
        while (page.GetProperty("has_more").GetBoolean())
        {
            (_, page) = await GetAsync(client, $"/v1/files?limit=2&after={page.GetProperty("last_id").GetString()}");
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        }
        Assert.All(ids, id => Assert.Contains(id, seen));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("too_many_lines")]
    [InlineData("file_too_large")]
    public async Task Upload_over_a_limit_is_refused_and_leaves_nothing_stored(string code)
    {
        using var client = api.Client();
        var content = code == "too_many_lines"
            ? Lines([.. Enumerable.Range(0, V1ApiFixture.MaxLines + 1).Select(i => Line($"x{i}"))])
            : Lines(Line("big", extra: $"\"pad\":\"{new string('x', V1ApiFixture.MaxBytes)}\""));
        var before = FileKeys();

        var (status, body) = await UploadAsync(client, content);

        Assert.Equal(400, status);
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(before, FileKeys());
    }

    [Fact]
    public async Task Upload_needs_purpose_batch_and_a_file()
    {
        using var client = api.Client();
        var before = FileKeys();
        var (status, body) = await UploadAsync(client, Lines(Line("a")), purpose: "fine-tune");
        Assert.Equal(400, status);
        Assert.Equal("purpose", body.GetProperty("error").GetProperty("param").GetString());

        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var (noFile, error) = await ReadAsync(await client.PostAsync("/v1/files", form, TestContext.Current.CancellationToken));
        Assert.Equal(400, noFile);
        Assert.Equal("file", error.GetProperty("error").GetProperty("param").GetString());

        var (notMultipart, _) = await PostJsonAsync(client, "/v1/files", new { purpose = "batch" });
        Assert.Equal(400, notMultipart);
        Assert.Equal(before, FileKeys());
    }

    [Fact]
    public async Task Another_tenants_file_answers_404()
    {
        using var a = api.Client(V1ApiFixture.KeyA);
        using var b = api.Client(V1ApiFixture.KeyB);
        var id = (await UploadAsync(a, Lines(Line("a")))).Body.GetProperty("id").GetString()!;

        Assert.Equal(404, (await GetAsync(b, $"/v1/files/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/files/{id}/content", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/v1/files/{id}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.DoesNotContain((await GetAsync(b, "/v1/files")).Body.GetProperty("data").EnumerateArray(), f => f.GetProperty("id").GetString() == id);
        var (status, body) = await PostJsonAsync(b, "/v1/batches", new { input_file_id = id, endpoint = "/v1/chat/completions", completion_window = "24h" });
        Assert.Equal(404, status);
        Assert.Equal("input_file_id", body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(200, (await GetAsync(a, $"/v1/files/{id}")).Status);
    }

    [Fact]
    public async Task Files_need_an_api_key()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(api.BaseUrl) };
        var (status, body) = await GetAsync(anonymous, "/v1/files");
        Assert.Equal(401, status);
        Assert.Equal("missing_api_key", body.GetProperty("error").GetProperty("code").GetString());
    }

    private int FileKeys()
    {
        var server = api.Store.Connection.GetServer(api.Store.Connection.GetEndPoints()[0]);
        return server.Keys(pattern: api.Prefix + "file:*", pageSize: 1000).Count();
    }
}
