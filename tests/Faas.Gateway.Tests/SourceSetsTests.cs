using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Faas.Compiler.Toolchains.Builds;
using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;
using Faas.Storage.Model;

namespace Faas.Gateway.Tests;

public sealed class SourceSetsTests
{
    private static readonly SourceLimits Limits = new(MaxFiles: 8, MaxBytes: 4096);

    private static DeployCommand Source(string language, string source, string? entry = null) =>
        new("fn", language, source, null, new FunctionConfig(), "", EntryFile: entry);

    [Theory]
    [InlineData("c", "function.c")]
    [InlineData("cpp", "function.cpp")]
    [InlineData("rust", "main.rs")]
    [InlineData("assemblyscript", "index.ts")]
    public void A_single_source_becomes_the_languages_default_file(string language, string file)
    {
        var input = SourceSets.ToBuildInput(Source(language, "text"), Limits);

        Assert.Equal([file], input.Sources.Keys);
        Assert.Equal("text", input.SingleSource);
        Assert.Null(input.EntryFile);
    }

    [Fact]
    public void A_single_source_takes_the_entry_files_name_and_the_digest_follows_it()
    {
        var named = SourceSets.ToBuildInput(Source("c", "int main(void){return 0;}", "echo.c"), Limits);
        var unnamed = SourceSets.ToBuildInput(Source("c", "int main(void){return 0;}"), Limits);

        Assert.Equal(["echo.c"], named.Sources.Keys);
        Assert.NotEqual(named.SourceSha256, unnamed.SourceSha256);
        Assert.Equal(unnamed.SourceSha256, SourceSets.ToBuildInput(Source("c", "int main(void){return 0;}"), Limits).SourceSha256);
    }

    [Fact]
    public void An_archive_with_a_traversal_is_an_invalid_request()
    {
        var command = Source("c", "") with { Source = null, Archive = TarGz(("../x.c", "int x;")) };

        var error = Assert.Throws<InvalidRequestException>(() => SourceSets.ToBuildInput(command, Limits));

        Assert.Contains("not allowed", error.Message);
    }

    [Fact]
    public void An_archive_over_the_limits_is_source_too_large()
    {
        var command = Source("c", "") with { Source = null, Archive = TarGz(("a.c", new string('x', 5000))) };

        Assert.Throws<SourceTooLargeException>(() => SourceSets.ToBuildInput(command, Limits));
    }

    [Fact]
    public void An_entry_file_missing_from_the_archive_is_an_invalid_request()
    {
        var command = Source("rust", "", "main.rs") with { Source = null, Archive = TarGz(("lib.rs", "pub fn f() {}")) };

        var error = Assert.Throws<InvalidRequestException>(() => SourceSets.ToBuildInput(command, Limits));

        Assert.Contains("main.rs", error.Message);
    }

    [Fact]
    public void A_source_over_the_gateway_limit_is_source_too_large_before_anything_else()
    {
        var error = Assert.Throws<SourceTooLargeException>(() => DeployValidator.Validate(Source("c", new string('x', 5000)), 1 << 20, 4096));

        Assert.Contains("Gateway:MaxSourceBytes", error.Message);
    }

    [Fact]
    public void An_archive_for_webassembly_text_is_refused()
    {
        var command = new DeployCommand("fn", "wat", "(module)", null, new FunctionConfig(), "", Archive: [1, 2, 3]);

        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(command, 1 << 20, 4096));
    }

    private static byte[] TarGz(params (string Name, string Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        return output.ToArray();
    }
}
