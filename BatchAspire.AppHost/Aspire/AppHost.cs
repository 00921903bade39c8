// The real Aspire AppHost, built only with -p:UseAspire=true on a machine that can restore the Aspire
// packages and run containers. Same topology as the default launcher: Redis, the Api, N Workers.
var builder = DistributedApplication.CreateBuilder(args);

var openAiKey = builder.AddParameter("openai-api-key", secret: true);
var anthropicKey = builder.AddParameter("anthropic-api-key", secret: true);
var geminiKey = builder.AddParameter("gemini-api-key", secret: true);
var workers = int.TryParse(builder.Configuration["workers"], out var n) ? n : 1;

var redis = builder.AddRedis("redis").WithDataVolume();

var api = builder.AddProject<Projects.BatchAspire_Api>("api")
    .WithReference(redis)
    .WaitFor(redis)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.BatchAspire_Worker>("worker")
    .WithReference(redis)
    .WithReference(api)
    .WaitFor(redis)
    .WithReplicas(workers)
    .WithEnvironment("OPENAI_API_KEY", openAiKey)
    .WithEnvironment("ANTHROPIC_API_KEY", anthropicKey)
    .WithEnvironment("GEMINI_API_KEY", geminiKey);

builder.Build().Run();
