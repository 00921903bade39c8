using BatchAspire.Tests.Infrastructure;

namespace BatchAspire.Tests.MultiProcess;

/// <summary>A process without a usable store refuses to start, and says what to set.</summary>
public sealed class StartupErrorTests
{
    [Theory]
    [InlineData("BatchAspire.Worker")]
    [InlineData("BatchAspire.Api")]
    public async Task Without_a_connection_string_start_up_stops_and_names_the_setting(string project)
    {
        using var process = ServiceProcess.Start(project, new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = "",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{TestStores.FreePort()}",
        });

        var code = await WaitForExitAsync(process);

        Assert.NotEqual(0, code);
        Assert.Contains("Set ConnectionStrings__redis", process.Output);
    }

    [Fact]
    public async Task An_unreachable_store_stops_start_up_and_says_where_it_looked()
    {
        var port = TestStores.FreePort(); // nothing listens there
        using var process = ServiceProcess.Start("BatchAspire.Worker", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = $"127.0.0.1:{port},connectTimeout=1000",
        });

        var code = await WaitForExitAsync(process);

        Assert.NotEqual(0, code);
        Assert.Contains($"Cannot reach Redis at 127.0.0.1:{port}", process.Output);
    }

    [Fact]
    public async Task A_bad_setting_stops_start_up_naming_the_key()
    {
        using var process = ServiceProcess.Start("BatchAspire.Worker", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = TestStores.Get("garnet").ConnectionString,
            ["BatchAspire__Worker__MaxConcurrency"] = "0",
        });

        var code = await WaitForExitAsync(process);

        Assert.NotEqual(0, code);
        Assert.Contains("BatchAspire:Worker:MaxConcurrency must be between 1 and 100,000", process.Output);
    }

    private static async Task<int> WaitForExitAsync(ServiceProcess process)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (!process.HasExited)
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"The process kept running:\n{process.Output}");
            await Task.Delay(100);
        }
        return process.ExitCode;
    }
}
