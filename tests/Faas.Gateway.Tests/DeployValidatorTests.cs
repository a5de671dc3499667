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

    [Theory]
    [InlineData("PATH_INFO")]
    [InlineData("REQUEST_METHOD")]
    [InlineData("HTTP_X_ANYTHING")]
    [InlineData("query_string")]
    public void An_http_function_may_not_name_its_own_variable_as_a_request_sets_one(string name)
    {
        var config = new FunctionConfig { Http = new HttpConfig(), Env = new Dictionary<string, string> { [name] = "x" } };

        var error = Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat(config: config), Limit));
        Assert.Contains(name, error.Message);
        // A function of body in, body out may.
        DeployValidator.Validate(Wat(config: config with { Http = null }), Limit);
    }

    [Fact]
    public void An_http_function_runs_in_warm_mode()
    {
        var config = new FunctionConfig { Http = new HttpConfig { Public = true }, Mode = ExecutionMode.Job };

        Assert.Contains("WARM", Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat(config: config), Limit)).Message);
        DeployValidator.Validate(Wat(config: config with { Mode = ExecutionMode.Warm }), Limit);
    }

    [Theory]
    [InlineData("echo\n")]
    [InlineData("echo\r\n")]
    public void Rejects_names_with_a_trailing_line_break(string name) =>
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat(name), Limit));

    [Fact]
    public void Rejects_variable_names_with_a_trailing_line_break()
    {
        var config = new FunctionConfig { Env = new Dictionary<string, string> { ["FOO\n"] = "1" } };
        var error = Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat(config: config), Limit));
        Assert.Contains("not valid", error.Message);
    }

    [Fact]
    public void Rejects_a_description_over_the_limit_naming_the_field()
    {
        DeployValidator.Validate(Wat() with { Description = new string('d', 1024) }, Limit);

        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(Wat() with { Description = new string('d', 1025) }, Limit));
        Assert.Contains("description", error.Message);
    }

    [Fact]
    public void Rejects_text_with_a_nul_character_that_the_database_could_not_store()
    {
        Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(Wat() with { Description = "a\0b" }, Limit));
        Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(new DeployCommand("js", "javascript", "export default () => '\0';", null, new FunctionConfig(), ""), Limit));
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

    [Theory]
    [InlineData("wat", true)]
    [InlineData("javascript", false)]
    public void Job_mode_is_for_webassembly_only(string language, bool accepted)
    {
        var command = (language == "wat" ? Wat() : JavaScript()) with { Config = new FunctionConfig { Mode = ExecutionMode.Job } };
        var error = Record.Exception(() => DeployValidator.Validate(command, Limit, maxSourceBytes: Limit));
        if (accepted)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains("JOB mode runs WebAssembly only", Assert.IsType<InvalidRequestException>(error).Message);
        }
    }

    private static DeployCommand JavaScript(string? source = "export default async (input) => input;", FunctionConfig? config = null) =>
        new("greet", "javascript", source, null, config ?? new FunctionConfig(), "");

    [Fact]
    public void JavaScript_is_listed_among_the_supported_languages()
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(Wat() with { Language = "cobol" }, Limit));
        Assert.Contains("javascript", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \n\t")]
    public void JavaScript_needs_source(string? source)
    {
        var error = Assert.Throws<InvalidRequestException>(() => DeployValidator.Validate(JavaScript(source), Limit, maxSourceBytes: Limit));
        Assert.Contains("'source'", error.Message);
    }

    [Fact]
    public void JavaScript_source_over_the_source_limit_is_too_large_in_utf8_bytes()
    {
        // 400 characters of three UTF-8 bytes each: under the limit in characters, over it in bytes.
        var source = "// " + new string('\u20ac', 400);
        var error = Assert.Throws<SourceTooLargeException>(() => DeployValidator.Validate(JavaScript(source), Limit, maxSourceBytes: Limit));
        Assert.Contains("Gateway:MaxSourceBytes", error.Message);
        Assert.Equal(global::Grpc.Core.StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(413, error.HttpStatus);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void JavaScript_source_may_fill_the_source_limit_and_not_one_byte_more(int over, bool accepted)
    {
        var source = "//" + new string('x', Limit - 2 + over);
        var error = Record.Exception(() => DeployValidator.Validate(JavaScript(source), Limit, maxSourceBytes: Limit));
        if (accepted)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains($"{Limit + over} bytes", Assert.IsType<SourceTooLargeException>(error).Message);
        }
    }

    [Fact]
    public void JavaScript_takes_no_module()
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(JavaScript() with { Wasm = [0, 97, 115, 109] }, Limit, maxSourceBytes: Limit));
        Assert.Contains("'wasm'", error.Message);
    }

    [Fact]
    public void JavaScript_takes_no_archive()
    {
        var error = Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(JavaScript() with { Archive = [0x1f, 0x8b] }, Limit, maxSourceBytes: Limit));
        Assert.Contains("'archive'", error.Message);
    }

    [Fact]
    public void JavaScript_config_is_checked_like_any_other() =>
        Assert.Throws<InvalidRequestException>(() =>
            DeployValidator.Validate(JavaScript(config: new FunctionConfig { MemoryMb = 0 }), Limit, maxSourceBytes: Limit));
}
