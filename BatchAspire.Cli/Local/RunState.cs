using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BatchAspire.Core;

namespace BatchAspire.Cli.Local;

/// <summary>
/// What a local run remembers between invocations (<c>run.json</c> in its state folder): which job runs this
/// input file, and how far the completion list has been written to the output files.
/// </summary>
public sealed record RunState(string JobId, string Input, long InputLength, long InputWrittenAtTicks, long ResultsOffset)
{
    private const string FileName = "run.json";

    /// <summary>The default state folder of an input file: one per absolute path, under the current directory.</summary>
    public static string DefaultDirectory(string inputPath) =>
        Path.Combine(".batchaspire", "run", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(inputPath))))[..16]);

    public static RunState? Load(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunState>(File.ReadAllText(path), BatchJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static RunState For(string jobId, FileInfo input, long offset)
    {
        input.Refresh();
        return new RunState(jobId, input.FullName, input.Length, input.LastWriteTimeUtc.Ticks, offset);
    }

    /// <summary>Whether this state was written for this very file (same path, size and modification time).</summary>
    public bool Matches(FileInfo input)
    {
        input.Refresh();
        return Input == input.FullName && InputLength == input.Length && InputWrittenAtTicks == input.LastWriteTimeUtc.Ticks;
    }

    /// <summary>Written to a temporary file and moved over the old one, so a kill never leaves half a state.</summary>
    public void Save(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, BatchJson.Options));
        File.Move(temp, path, overwrite: true);
    }
}
