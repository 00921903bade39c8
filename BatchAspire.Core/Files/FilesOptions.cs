using System.ComponentModel.DataAnnotations;

namespace BatchAspire.Core.Files;

/// <summary>What one uploaded file may hold (OpenAI's batch input limits by default). Section <c>BatchAspire:Files</c>.</summary>
public sealed class FilesOptions
{
    public const string Section = "BatchAspire:Files";

    [Range(1, 8L * 1024 * 1024 * 1024, ErrorMessage = "BatchAspire:Files:MaxBytes must be between 1 byte and 8 GiB.")]
    public long MaxBytes { get; set; } = 200L * 1024 * 1024;

    [Range(1, 10_000_000, ErrorMessage = "BatchAspire:Files:MaxLines must be between 1 and 10,000,000.")]
    public int MaxLines { get; set; } = 50_000;
}
