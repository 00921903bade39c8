using BatchAspire.FakeProvider;
using Xunit;

namespace BatchAspire.Tests.FakeProvider;

public sealed class OpenAIDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(0.2, "1ms")]
    [InlineData(120, "120ms")]
    [InlineData(999.5, "1s")]
    [InlineData(1000, "1s")]
    [InlineData(9816, "9.816s")]
    [InlineData(59_750, "59.75s")]
    [InlineData(90_500, "1m30.5s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void Durations_are_written_the_way_OpenAI_writes_them(double milliseconds, string expected) =>
        Assert.Equal(expected, OpenAIDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));
}
