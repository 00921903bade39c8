using System.Collections.Concurrent;
using System.Reflection;
using StackExchange.Redis;

namespace BatchAspire.Core.Store;

/// <summary>
/// The Lua scripts of Scripts/*.lua, loaded once per server and called by SHA. Each script gets the
/// shared prelude (_lib.lua) prepended. A server that lost its script cache (restart) is reloaded transparently.
/// </summary>
public sealed class JobScripts(IConnectionMultiplexer redis)
{
    public const string CreateJob = "create_job";
    public const string LeaseItems = "lease_items";
    public const string RenewLeases = "renew_leases";
    public const string CompleteItems = "complete_items";
    public const string RescheduleItems = "reschedule_items";
    public const string CancelJob = "cancel_job";
    public const string ReapExpiredLeases = "reap_expired_leases";
    public const string ExpireJob = "expire_job";
    public const string CreateFile = "create_file";
    public const string DeleteFile = "delete_file";
    public const string ReserveBudget = "reserve_budget";
    public const string FallBackToFast = "fall_back_to_fast";
    public const string AcquirePermit = "acquire_permit";
    public const string ReleasePermit = "release_permit";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Sources = new(LoadSources);
    private readonly ConcurrentDictionary<string, byte[]> _hashes = new();
    private long _calls;

    /// <summary>Script calls made so far (each is one store round trip).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public static string Source(string name) => Sources.Value[name];

    public async Task<RedisResult> RunAsync(string name, RedisKey[] keys, RedisValue[] args)
    {
        Interlocked.Increment(ref _calls);
        var db = redis.GetDatabase();
        var hash = _hashes.TryGetValue(name, out var known) ? known : await LoadAsync(name);
        try
        {
            return await db.ScriptEvaluateAsync(hash, keys, args);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(await LoadAsync(name), keys, args);
        }
    }

    private async Task<byte[]> LoadAsync(string name)
    {
        byte[] hash = [];
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsConnected && !server.IsReplica)
            {
                hash = await server.ScriptLoadAsync(Source(name));
            }
        }
        _hashes[name] = hash;
        return hash;
    }

    private static Dictionary<string, string> LoadSources()
    {
        var assembly = typeof(JobScripts).Assembly;
        const string resourcePrefix = "BatchAspire.Scripts.";
        var prelude = Read(assembly, resourcePrefix + "_lib.lua");
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(resourcePrefix, StringComparison.Ordinal) && !n.EndsWith("_lib.lua", StringComparison.Ordinal))
            .ToDictionary(
                n => n[resourcePrefix.Length..^".lua".Length],
                n => prelude + "\n" + Read(assembly, n));
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded script {resource} is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
