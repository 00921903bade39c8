using System.Net;
using System.Text.Json.Nodes;
using BatchAspire.FakeProvider;
using Xunit;
using static BatchAspire.Tests.FakeProvider.FakeProviderCalls;

namespace BatchAspire.Tests.FakeProvider;

public sealed class OpenAIWireFormatTests
{
    [Fact]
    public async Task Chat_completion_has_the_OpenAI_shape_and_deterministic_usage()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);
        const string text = "Summarise the history of the Roman Empire in three sentences, please.";

        using var response = await client.ChatAsync(text, maxTokens: 100);
        var body = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_600_000_000);
        Assert.Equal("gpt-4o-mini", body.GetProperty("model").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("system_fingerprint").GetString()));
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Fake reply to: " + text[..40], choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(PromptTokensOfOneMessage(text), usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(16, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(PromptTokensOfOneMessage(text) + 16, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task Max_completion_tokens_below_the_default_caps_completion_tokens()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);
        var body = ChatBody("Hi");
        body["max_completion_tokens"] = 5;

        using var response = await client.PostJsonAsync("chat/completions", body);

        Assert.Equal(5, (await response.JsonAsync()).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, fake.Stats.CompletionTokens);
    }

    [Fact]
    public async Task Array_content_counts_each_text_part_and_ignores_other_parts()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);
        const string system = "You are a terse assistant.";
        var body = new JsonObject
        {
            ["model"] = "gpt-4o",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = system },
                new JsonObject
                {
                    ["role"] = "user",
                    ["content"] = new JsonArray(
                        new JsonObject { ["type"] = "text", ["text"] = "Describe" },
                        new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "https://example.com/a.png" } },
                        new JsonObject { ["type"] = "text", ["text"] = "this picture" }),
                }),
        };

        using var response = await client.PostJsonAsync("chat/completions", body);
        var json = await response.JsonAsync();

        var expected = 3 + (3 + Tokens(system)) + (3 + Tokens("Describe") + Tokens("this picture"));
        Assert.Equal(expected, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("Fake reply to: Describe this picture", json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Embeddings_return_one_unit_vector_per_input_with_usage()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);

        using var many = await client.PostJsonAsync("embeddings", new JsonObject
        {
            ["model"] = "text-embedding-3-small",
            ["input"] = new JsonArray("alpha", "beta gamma"),
        });
        using var one = await client.PostJsonAsync("embeddings", new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = "alpha" });
        var body = await many.JsonAsync();
        var single = await one.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, many.StatusCode);
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("text-embedding-3-small", body.GetProperty("model").GetString());
        var data = body.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var vector = data[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(8, vector.Length);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => v * v)), 3);
        }

        var tokens = Tokens("alpha") + Tokens("beta gamma");
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(data[0].GetProperty("embedding").GetRawText(), single.GetProperty("data")[0].GetProperty("embedding").GetRawText());
    }

    [Fact]
    public async Task Missing_or_wrong_key_gets_401_invalid_api_key()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions { ApiKey = "sk-test" }, cancellationToken: Ct);
        using var anonymous = Client(fake);
        using var wrong = Client(fake, "sk-wrong");
        using var right = Client(fake, "sk-test");

        using var missing = await anonymous.ChatAsync();
        using var incorrect = await wrong.ChatAsync();
        using var ok = await right.ChatAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, incorrect.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var error = (await incorrect.JsonAsync()).GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(2, fake.Stats.Unauthorized);
        Assert.Equal(1, fake.Stats.RequestsWithoutKey);
    }

    [Fact]
    public async Task Malformed_request_gets_400_invalid_request_error_naming_the_param()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeProviderOptions(), cancellationToken: Ct);
        using var client = Client(fake);

        using var noMessages = await client.PostJsonAsync("chat/completions", new JsonObject { ["model"] = "gpt-4o" });
        using var notJson = await client.PostAsync("chat/completions", new StringContent("{nope"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, noMessages.StatusCode);
        var error = (await noMessages.JsonAsync()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("messages", error.GetProperty("param").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(2, fake.Stats.BadRequests);
        Assert.Equal(0, fake.Stats.Accepted);
    }
}
