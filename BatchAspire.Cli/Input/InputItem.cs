using System.Text.Json;

namespace BatchAspire.Cli.Input;

/// <summary>One request read from an input file, with the line it came from (for error messages).</summary>
public sealed record InputItem(int Line, string CustomId, string Url, JsonElement Body);

/// <summary>A line that cannot be submitted, and why.</summary>
public sealed record InputProblem(int Line, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}

public enum InputFormat { Auto, Jsonl, Text }

/// <summary>What an input file held: the valid items, the problems, and which format it was read as.</summary>
public sealed record InputFile(string Path, InputFormat Format, IReadOnlyList<InputItem> Items, IReadOnlyList<InputProblem> Problems)
{
    /// <summary>The line of an item by its position in <see cref="Items"/>, for errors the server reports as items[i].</summary>
    public int? LineOf(int index) => index >= 0 && index < Items.Count ? Items[index].Line : null;
}
