using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DiagnosticsTests(CompilerFixture fixture)
{
    [Theory]
    [InlineData(SourceLanguage.C, "fn.c", "#include <stdio.h>\n\nint main(void) {\n    return 0\n}\n", 4)]
    [InlineData(SourceLanguage.Cpp, "fn.cpp", "int main() {\n    int x = ;\n    return x;\n}\n", 2)]
    [InlineData(SourceLanguage.Rust, "main.rs", "fn main() {\n    let x = ;\n}\n", 2)]
    [InlineData(SourceLanguage.AssemblyScript, "index.ts", "import { writeOutputText } from \"./faas\";\n\nlet x: i32 = ;\nwriteOutputText(x.toString());\n", 3)]
    public async Task Syntax_error_fails_with_a_diagnostic_at_its_file_and_line(SourceLanguage language, string file, string source, int line)
    {
        var result = await fixture.Builder.BuildAsync(language, new Dictionary<string, string> { [file] = source });

        Assert.Equal(BuildStatus.CompileFailed, result.Status);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(file, error.File);
        Assert.Equal(line, error.Line);
        Assert.True(error.Column > 0);
        Assert.Contains(file, result.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_in_a_second_file_names_that_file()
    {
        var sources = new Dictionary<string, string>
        {
            ["main.c"] = "#include \"lib/greet.h\"\nint main(void) { return greet(); }\n",
            ["lib/greet.h"] = "int greet(void);\n",
            ["lib/greet.c"] = "int greet(void) {\n    return undeclared;\n}\n",
        };

        var result = await fixture.Builder.BuildAsync(SourceLanguage.C, sources);

        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(("lib/greet.c", 2), (error.File, error.Line));
    }

    [Fact]
    public async Task Module_without_a_main_compiles_but_is_rejected_as_a_function()
    {
        var result = await fixture.Builder.BuildAsync(
            SourceLanguage.C, new Dictionary<string, string> { ["lib.c"] = "int twice(int x) { return 2 * x; }\n" });

        Assert.False(result.Succeeded);
        Assert.Null(result.Wasm);
    }
}
