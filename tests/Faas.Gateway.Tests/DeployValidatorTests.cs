using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;
using Faas.Storage.Model;

namespace Faas.Gateway.Tests;

public class DeployValidatorTests
{
    private const int Limit = 1024;

    private static DeployCommand Wat(string name = "echo", FunctionConfig? config = null) =>
        new(name, "wat", "(module)", null, config ?? new FunctionConfig(), "");

    [Theory]
    [InlineData("echo")]
    [InlineData("a")]
    [InlineData("image-resize-2")]
    public void Accepts_lowercase_names_with_digits_and_dashes(string name) =>
        DeployValidator.Validate(Wat(name), Limit);

    [Theory]
    [InlineData("")]
    [InlineData("Echo")]
    [InlineData("2fast")]
    [InlineData("with space")]
    [InlineData("../etc")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Rejects_names_outside_the_pattern_with_a_message_naming_the_rule(string name)
    {
        var error = Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat(name), Limit));
        Assert.Contains("a-z", error.Message);
    }

    [Fact]
    public void Rejects_an_unknown_language_and_lists_the_supported_ones()
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(Wat() with { Language = "cobol" }, Limit));
        Assert.Contains("wasm, wat", error.Message);
    }

    [Fact]
    public void Wasm_language_needs_module_bytes() =>
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat() with { Language = "wasm" }, Limit));

    [Fact]
    public void Text_language_needs_source() =>
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat() with { Source = " " }, Limit));

    [Fact]
    public void Rejects_a_module_over_the_size_limit()
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(new DeployCommand("big", "wasm", null, new byte[Limit + 1], new FunctionConfig(), ""), Limit));
        Assert.Contains("limit", error.Message);
    }

    [Theory]
    [InlineData(0, 128, "timeoutMs")]
    [InlineData(900_001, 128, "timeoutMs")]
    [InlineData(1000, 0, "memoryMb")]
    [InlineData(1000, 4097, "memoryMb")]
    public void Rejects_limits_out_of_range_naming_the_field(int timeoutMs, int memoryMb, string field)
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(Wat(config: new FunctionConfig { TimeoutMs = timeoutMs, MemoryMb = memoryMb }), Limit));
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void Rejects_min_warm_above_max_warm() =>
        Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(Wat(config: new FunctionConfig { MinWarm = 5, MaxWarm = 2 }), Limit));

    [Theory]
    [InlineData("1ABC")]
    [InlineData("A-B")]
    [InlineData("")]
    public void Rejects_invalid_environment_variable_names(string name) =>
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(
            Wat(config: new FunctionConfig { Env = new Dictionary<string, string> { [name] = "x" } }), Limit));

    [Fact]
    public void Reserves_the_faas_prefix_for_the_platform()
    {
        var error = Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(
            Wat(config: new FunctionConfig { Env = new Dictionary<string, string> { ["FAAS_FUNCTION"] = "x" } }), Limit));
        Assert.Contains("reserved", error.Message);
    }

    [Fact]
    public void Rejects_an_environment_over_its_size_limit() =>
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(
            Wat(config: new FunctionConfig { Env = new Dictionary<string, string> { ["BIG"] = new string('x', DeployValidator.MaxEnvBytes) } }), Limit));

    [Fact]
    public void Job_mode_is_accepted() =>
        DeployValidator.Validate(Wat(config: new FunctionConfig { Mode = ExecutionMode.Job }), Limit);
}
