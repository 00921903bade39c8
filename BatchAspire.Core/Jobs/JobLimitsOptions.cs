using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Jobs;

/// <summary>What one submission may hold. Section <c>BatchAspire:Jobs</c>.</summary>
public sealed class JobLimitsOptions
{
    public const string Section = "BatchAspire:Jobs";

    [Range(1, 10_000_000, ErrorMessage = "BatchAspire:Jobs:MaxItems must be between 1 and 10,000,000.")]
    public int MaxItems { get; set; } = 200_000;

    [Range(1024, 100 * 1024 * 1024, ErrorMessage = "BatchAspire:Jobs:MaxItemBytes must be between 1 KiB and 100 MiB.")]
    public int MaxItemBytes { get; set; } = 1024 * 1024;

    [Range(1024, 2L * 1024 * 1024 * 1024, ErrorMessage = "BatchAspire:Jobs:MaxRequestBytes must be between 1 KiB and 2 GiB.")]
    public long MaxRequestBytes { get; set; } = 256L * 1024 * 1024;

    [Range(1, 4096, ErrorMessage = "BatchAspire:Jobs:MaxCustomIdLength must be between 1 and 4096.")]
    public int MaxCustomIdLength { get; set; } = 512;
}
