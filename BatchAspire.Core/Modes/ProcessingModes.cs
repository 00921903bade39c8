using BatchAspire.Core.Modes.Auto;
using BatchAspire.Core.Modes.Economy;
using BatchAspire.Core.Modes.Fast;
using BatchAspire.Core.Modes.Waves;

namespace BatchAspire.Core.Modes;

/// <summary>Every processing mode, by name. A new mode is one more line here.</summary>
public static class ProcessingModes
{
    public static readonly IReadOnlyList<IProcessingMode> Registered =
    [
        new FastMode(),
        new EconomyMode(),
        new WavesMode(),
        new AutoMode(),
    ];

    public static readonly string[] Names = [.. Registered.Select(m => m.Name)];

    public static IProcessingMode? Find(string name) => Registered.FirstOrDefault(m => m.Name == name);
}
