using System.Globalization;
using System.Text.RegularExpressions;

namespace BatchAspire.Core.Batches;

/// <summary>
/// A batch's <c>completion_window</c>: a whole number and a unit, <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>
/// (<c>24h</c>, OpenAI's only value, <c>1h</c>, <c>30m</c>, <c>7d</c>), from 1 second to 30 days.
/// </summary>
public static partial class CompletionWindow
{
    public static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);
    public const string Grammar = "a whole number followed by s, m, h or d (e.g. 24h, 1h, 30m, 7d), from 1s to 30d";

    public static bool TryParse(string? text, out TimeSpan window)
    {
        window = default;
        if (text is null) return false;
        var match = Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        var seconds = match.Groups[2].Value switch
        {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            _ => n * 86400,
        };
        if (seconds < Min.TotalSeconds || seconds > Max.TotalSeconds) return false;
        window = TimeSpan.FromSeconds(seconds);
        return true;
    }

    [GeneratedRegex("^([0-9]{1,7})([smhd])$")]
    private static partial Regex Pattern();
}
