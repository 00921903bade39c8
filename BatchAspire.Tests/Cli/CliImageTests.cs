using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace BatchAspire.Tests.Cli;

/// <summary>
/// `--save-images` end to end: a loopback OpenAI-compatible server answers each prompt with images in one of the
/// three shapes (OpenAI images, Gemini inlineData, chat image_url data: URL), and `run` decodes them to files.
/// </summary>
public sealed class CliImageTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 4, 5, 6];

    [Fact]
    public async Task Run_saves_images_from_openai_gemini_and_chat_responses()
    {
        await using var provider = await StartProviderAsync();
        var dir = CliProcess.TempDirectory();
        var file = CliProcess.WriteLines(dir, "images.jsonl",
        [
            """{"custom_id":"openai/one","prompt":"openai"}""",
            """{"custom_id":"gemini","prompt":"gemini"}""",
            """{"custom_id":"chat","prompt":"chat"}""",
        ]);
        var env = new Dictionary<string, string>
        {
            ["BatchAspire__Providers__imgtest__Type"] = "openai",
            ["BatchAspire__Providers__imgtest__BaseUrl"] = provider.Urls.First() + "/v1",
            ["BatchAspire__Providers__imgtest__ApiKey"] = "provider-key",
            ["BatchAspire__Providers__imgtest__Models__0"] = "img-*",
        };
        var run = await CliProcess.RunAsync(dir, env, "run", file, "--model", "img-1", "-o", "out.jsonl", "--save-images", "images", "--state-dir", Path.Combine(dir, "state"));
        Assert.True(run.ExitCode == 0, run.ToString());

        var images = Path.Combine(dir, "images");
        Assert.Equal(Png, File.ReadAllBytes(Path.Combine(images, "openai_one-1.png")));
        Assert.Equal(Png, File.ReadAllBytes(Path.Combine(images, "openai_one-2.png")));
        Assert.Equal(Jpeg, File.ReadAllBytes(Path.Combine(images, "gemini.jpg")));
        Assert.Equal(Png, File.ReadAllBytes(Path.Combine(images, "chat.png")));
        Assert.Equal(4, Directory.GetFiles(images).Length);
    }

    private static async Task<WebApplication> StartProviderAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var request = await JsonDocument.ParseAsync(context.Request.Body);
            var prompt = request.RootElement.GetProperty("messages")[0].GetProperty("content").GetString();
            var png = Convert.ToBase64String(Png);
            object body = prompt switch
            {
                "openai" => new { created = 1, data = new[] { new { b64_json = png }, new { b64_json = png } } },
                "gemini" => new { candidates = new[] { new { content = new { parts = new object[] { new { text = "here" }, new { inlineData = new { mimeType = "image/jpeg", data = Convert.ToBase64String(Jpeg) } } } } } } },
                _ => new
                {
                    id = "chatcmpl-1", @object = "chat.completion",
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = new object[] { new { type = "text", text = "an image" }, new { type = "image_url", image_url = new { url = "data:image/png;base64," + png } } } } } },
                    usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
                },
            };
            return Results.Json(body);
        });
        await app.StartAsync();
        return app;
    }
}
