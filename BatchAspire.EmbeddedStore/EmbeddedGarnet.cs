using System.Net;
using System.Net.Sockets;
using Garnet;

namespace BatchAspire.EmbeddedStore;

/// <summary>
/// Microsoft Garnet, Redis-compatible, inside this process: the local default store. Lua is on and runs
/// scripts as transactions (Garnet is not atomic otherwise), and the append-only file keeps data across restarts.
/// </summary>
public sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;

    private EmbeddedGarnet(GarnetServer server, int port)
    {
        _server = server;
        Port = port;
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <param name="extraArguments">More Garnet options, e.g. a smaller <c>--index</c> for a one-job store.</param>
    public static EmbeddedGarnet Start(string dataDir, int port = 0, IEnumerable<string>? extraArguments = null)
    {
        Directory.CreateDirectory(dataDir);
        port = port == 0 ? FreePort() : port;
        var server = new GarnetServer(
        [
            "--bind", "127.0.0.1",
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lua", "--lua-transaction-mode",
            "--aof", "--recover",
            "--checkpointdir", dataDir,
            // The managed file device needs no native libaio, so a machine with only the .NET SDK can run it.
            "--device-type", "RandomAccess",
            "-q",
            .. extraArguments ?? [],
        ]);
        server.Start();
        return new EmbeddedGarnet(server, port);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _server.Dispose();
}
