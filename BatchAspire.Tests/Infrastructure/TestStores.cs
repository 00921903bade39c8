using System.Diagnostics;
using BatchAspire.EmbeddedStore;
using StackExchange.Redis;

namespace BatchAspire.Tests.Infrastructure;

/// <summary>A real store for a test: embedded Garnet always, and redis-server when it is installed.</summary>
public interface ITestStore
{
    string Name { get; }
    string ConnectionString { get; }
    IConnectionMultiplexer Connection { get; }
}

/// <summary>
/// One embedded Garnet for the whole test run (Lua on, transaction mode on, as in production), and one
/// redis-server process if the binary exists. Tests isolate themselves by key prefix, never by flushing.
/// </summary>
public sealed class TestStores : IAsyncDisposable
{
    private static readonly Lazy<TestStores> Shared = new(() => new TestStores());

    private readonly EmbeddedGarnet _garnet;
    private readonly Process? _redis;
    private readonly string _dir = Directory.CreateTempSubdirectory("batchaspire-tests-").FullName;

    public static TestStores Instance => Shared.Value;

    public ITestStore Garnet { get; }
    public ITestStore? Redis { get; }

    private TestStores()
    {
        // The same embedded store the AppHost runs (Lua transactions, AOF), with a smaller index for a test run.
        _garnet = EmbeddedGarnet.Start(Path.Combine(_dir, "garnet"), extraArguments: ["--index", "16m"]);
        Garnet = new Store("garnet", _garnet.ConnectionString);

        var redisServer = FindRedisServer();
        if (redisServer is not null)
        {
            var redisPort = FreePort();
            _redis = Process.Start(new ProcessStartInfo(redisServer, ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            Redis = new Store("redis", $"127.0.0.1:{redisPort}");
            WaitUntilUp(Redis.ConnectionString);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { _redis?.Kill(); } catch (InvalidOperationException) { } };
    }

    /// <summary>The stores a store-level test runs against: names for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> Names => new("garnet", "redis");

    /// <summary>The named store; a test on redis is skipped, saying why, where redis-server is not installed.</summary>
    public static ITestStore Get(string name)
    {
        if (name == "garnet") return Instance.Garnet;
        return Instance.Redis ?? throw Xunit.Sdk.SkipException.ForSkip("redis-server is not installed (CI installs it: apt-get install redis-server).");
    }

    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..13] + ":";

    public static int FreePort() => EmbeddedGarnet.FreePort();

    private static string? FindRedisServer() =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    private static void WaitUntilUp(string connectionString)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var c = ConnectionMultiplexer.Connect(connectionString + ",abortConnect=true,connectTimeout=500");
                return;
            }
            catch (RedisConnectionException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"redis-server did not start on {connectionString}.");
    }

    public ValueTask DisposeAsync()
    {
        _garnet.Dispose();
        _redis?.Kill();
        return ValueTask.CompletedTask;
    }

    private sealed class Store(string name, string connectionString) : ITestStore
    {
        private readonly Lazy<IConnectionMultiplexer> _connection = new(() => ConnectionMultiplexer.Connect(connectionString));
        public string Name { get; } = name;
        public string ConnectionString { get; } = connectionString;
        public IConnectionMultiplexer Connection => _connection.Value;
        public override string ToString() => Name;
    }
}
