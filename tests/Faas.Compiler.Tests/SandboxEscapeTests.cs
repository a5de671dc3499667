using System.Collections;
using System.Text;
using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Tests;

/// <summary>
/// Builds that try to read the host: absolute paths, <c>..</c> paths, <c>/proc</c>, and the state directory's key
/// files, laid out as the AppHost lays them out (scratch directories in <c>&lt;state&gt;/builds</c>, keys beside it).
/// Whatever a build does, no byte of a key and no value of the service's environment may come back in the module,
/// the error, the diagnostics or the build log.
/// </summary>
[Collection(CompilerCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class SandboxEscapeTests(CompilerFixture fixture, SandboxEscapeTests.HostState state) : IClassFixture<SandboxEscapeTests.HostState>
{
    public static TheoryData<SourceLanguage, string> Attacks()
    {
        var data = new TheoryData<SourceLanguage, string>();
        foreach (var attack in HostState.Attacks)
        {
            data.Add(attack.Language, attack.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Build_that_reaches_for_a_host_file_gets_none_of_it(SourceLanguage language, string attack)
    {
        var sources = HostState.Attacks.Single(a => a.Language == language && a.Name == attack).Sources(state);

        var result = await state.Builder(fixture).BuildAsync(language, sources);

        Assert.False(result.Succeeded, $"the build succeeded, so it read a host file: {result.Log}");
        state.AssertNothingLeaked(result);
    }

    [Fact]
    public async Task Build_that_leaves_a_link_where_the_module_goes_is_refused_without_reading_its_target()
    {
        // asc runs an asconfig.json's transforms: code of the tenant's, run by the compiler, that links the
        // module's path to a key file after asc has written it.
        var sources = new Dictionary<string, string>
        {
            ["index.ts"] = "const x: i32 = 1;\n",
            ["asconfig.json"] = """{ "options": { "transform": ["./link.js"] } }""",
            ["link.js"] = $$"""
                const fs = require("fs");
                process.on("exit", () => {
                  fs.rmSync(".faas-out/function.wasm", { force: true });
                  fs.symlinkSync({{Quote(state.ServiceKey)}}, ".faas-out/function.wasm");
                });
                """,
        };

        var result = await state.Builder(fixture).BuildAsync(SourceLanguage.AssemblyScript, sources);

        Assert.False(result.Succeeded);
        Assert.True(result.Error?.Contains("symbolic link", StringComparison.Ordinal), $"{result.Error}\n{result.Log}");
        state.AssertNothingLeaked(result);
    }

    [Fact]
    public async Task Build_code_runs_as_an_unprivileged_user_without_network_or_host_processes()
    {
        var sources = new Dictionary<string, string>
        {
            ["index.ts"] = "const x: i32 = 1;\n",
            ["asconfig.json"] = """{ "options": { "transform": ["./probe.js"] } }""",
            ["probe.js"] = """
                const fs = require("fs"), os = require("os");
                const pids = fs.readdirSync("/proc").filter(n => /^\d+$/.test(n)).length;
                const interfaces = Object.values(os.networkInterfaces()).flat().filter(i => !i.internal).length;
                process.stderr.write(`PROBE uid=${process.getuid()} pids=${pids} interfaces=${interfaces} root=${fs.readdirSync("/").sort().join(",")}\n`);
                """,
        };

        var result = await state.Builder(fixture).BuildAsync(SourceLanguage.AssemblyScript, sources);

        Assert.True(result.Log.Contains("PROBE ", StringComparison.Ordinal), result.Log);
        var probe = result.Log.Split('\n').Single(line => line.StartsWith("PROBE ", StringComparison.Ordinal));
        Assert.DoesNotContain("uid=0 ", probe, StringComparison.Ordinal);
        Assert.Contains("interfaces=0", probe, StringComparison.Ordinal);
        // Its own PID namespace: node and the namespace's init, not the host's hundreds.
        var pids = int.Parse(probe.Split("pids=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pids, 1, 8);
        // The root holds /usr and its links, /dev, /proc, /tmp and the first folder of the toolchains' and the
        // scratch's paths (where the checkout lives varies), never the host's configuration, homes or state.
        var root = probe.Split("root=")[1].Trim().Split(',');
        Assert.Contains("usr", root);
        Assert.Contains("proc", root);
        Assert.Contains("tmp", root);
        // A checkout or temporary folder under one of these (say /root/faas) legitimately shows its first folder.
        var bound = new[] { AppContext.BaseDirectory, Path.GetTempPath() }
            .Select(path => path.Split('/', StringSplitOptions.RemoveEmptyEntries)[0]);
        foreach (var hostFolder in new[] { "etc", "root", "home", "var", "boot", "mnt", "media", "srv", "run" }.Except(bound))
        {
            Assert.DoesNotContain(hostFolder, root);
        }
    }

    private static string Quote(string path) => "\"" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A state directory with the platform's key files and a canary in each, and the attacks on it.</summary>
    public sealed class HostState : IDisposable
    {
        public HostState()
        {
            Root = Path.Combine(Path.GetTempPath(), $"faas-host-state-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Root);
            File.SetUnixFileMode(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            AdminKey = WriteKey("admin.key", "FAAS_CANARY_ADMIN", ownerOnly: true);
            ServiceKey = WriteKey("service.key", "FAAS_CANARY_SERVICE", ownerOnly: true);
            // Readable by anyone: only the mount namespace keeps it out of a build, not the user it runs as.
            PublicFile = WriteKey("world-readable.txt", "FAAS_CANARY_PUBLIC", ownerOnly: false);
            Neighbour = WriteKey("neighbour.h", "static const char secret[] = \"FAAS_CANARY_NEIGHBOUR\";\n", ownerOnly: false);
            WriteKey("neighbour.ts", "export const secret = \"FAAS_CANARY_NEIGHBOUR\";\n", ownerOnly: false);
        }

        public string Root { get; }

        public string AdminKey { get; }

        public string ServiceKey { get; }

        public string PublicFile { get; }

        public string Neighbour { get; }

        /// <summary>Every attack, per language: a name and the sources that carry it.</summary>
        public static IReadOnlyList<Attack> Attacks { get; } = BuildAttacks();

        /// <summary>A builder whose scratch directories are made where the AppHost makes them: in the state directory.</summary>
        public FunctionBuilder Builder(CompilerFixture fixture) =>
            fixture.CreateBuilder(new CompilerOptions { ScratchRoot = Path.Combine(Root, "builds") });

        public void AssertNothingLeaked(BuildResult result)
        {
            var seen = new StringBuilder()
                .AppendLine(result.Error).AppendLine(result.Log)
                .AppendJoin('\n', result.Diagnostics.Select(d => $"{d.File}:{d.Line}: {d.Message}"))
                .AppendLine(result.Wasm is null ? "" : Encoding.Latin1.GetString(result.Wasm))
                .AppendLine(result.Precompiled is null ? "" : Encoding.Latin1.GetString(result.Precompiled))
                .ToString();
            Assert.DoesNotContain("FAAS_CANARY", seen, StringComparison.Ordinal);
            foreach (var value in HostEnvironmentValues())
            {
                Assert.DoesNotContain(value, seen, StringComparison.Ordinal);
            }
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);

        /// <summary>Values of this process's environment (the service's, in production) that a build's own environment does not have.</summary>
        private static IEnumerable<string> HostEnvironmentValues() =>
            Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
                .Select(e => e.Value as string ?? "")
                .Where(v => v.Length >= 12 && !v.StartsWith("/usr/local/bin:/usr/bin:/bin", StringComparison.Ordinal) && v != "C.UTF-8")
                .Where(v => !"/usr/local/bin:/usr/bin:/bin".Contains(v, StringComparison.Ordinal))
                .Distinct();

        private string WriteKey(string name, string content, bool ownerOnly)
        {
            var path = Path.Combine(Root, name);
            File.WriteAllText(path, content);
            File.SetUnixFileMode(path, ownerOnly
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            return path;
        }

        private static List<Attack> BuildAttacks()
        {
            var attacks = new List<Attack>();
            foreach (var language in new[] { SourceLanguage.C, SourceLanguage.Cpp })
            {
                var file = language == SourceLanguage.C ? "function.c" : "function.cpp";
                attacks.Add(new(language, "include of an absolute path to a key", s => One(file, $"#include \"{s.AdminKey}\"\nint main(void) {{ return 0; }}\n")));
                attacks.Add(new(language, "include of a world-readable file", s => One(file, $"#include \"{s.PublicFile}\"\nint main(void) {{ return 0; }}\n")));
                attacks.Add(new(language, "include of a key by a .. path", _ => One(file, "#include \"../../service.key\"\nint main(void) { return 0; }\n")));
                attacks.Add(new(language, "include of a .. header that compiles", _ => One(file,
                    "#include <stdio.h>\n#include \"../../neighbour.h\"\nint main(void) { puts(secret); return 0; }\n")));
                attacks.Add(new(language, "include of the service's environment", _ => One(file,
                    $"#include \"/proc/{Environment.ProcessId}/environ\"\nint main(void) {{ return 0; }}\n")));
                attacks.Add(new(language, "include of the parent's environment", _ => One(file,
                    "#include \"/proc/1/environ\"\n#include \"/proc/self/environ\"\nint main(void) { return 0; }\n")));
            }

            attacks.Add(new(SourceLanguage.Rust, "include_bytes of an absolute path to a key", s => One("main.rs",
                $"fn main() {{ let k: &[u8] = include_bytes!(\"{s.AdminKey}\"); println!(\"{{:?}}\", k); }}\n")));
            attacks.Add(new(SourceLanguage.Rust, "include_str of a world-readable file", s => One("main.rs",
                $"fn main() {{ println!(\"{{}}\", include_str!(\"{s.PublicFile}\")); }}\n")));
            attacks.Add(new(SourceLanguage.Rust, "include_str of a key by a .. path", _ => One("main.rs",
                "fn main() { println!(\"{}\", include_str!(\"../../service.key\")); }\n")));
            attacks.Add(new(SourceLanguage.Rust, "include_bytes of the service's environment", _ => One("main.rs",
                $"fn main() {{ println!(\"{{:?}}\", include_bytes!(\"/proc/{Environment.ProcessId}/environ\")); }}\n")));
            attacks.Add(new(SourceLanguage.Rust, "a module file outside the sources", s => One("main.rs",
                $"#[path = \"{s.AdminKey}\"]\nmod key;\nfn main() {{ }}\n")));

            attacks.Add(new(SourceLanguage.AssemblyScript, "import by a .. path", _ => One("index.ts",
                "import { secret } from \"../../neighbour\";\nimport { writeOutput } from \"./faas\";\nwriteOutput(String.UTF8.encode(secret));\n")));
            attacks.Add(new(SourceLanguage.AssemblyScript, "import by an absolute path", s => One("index.ts",
                $"import {{ secret }} from \"{Path.Combine(s.Root, "neighbour")}\";\nimport {{ writeOutput }} from \"./faas\";\nwriteOutput(String.UTF8.encode(secret));\n")));
            attacks.Add(new(SourceLanguage.AssemblyScript, "a build transform that reads key files and the service's environment", s => new Dictionary<string, string>
            {
                ["index.ts"] = "const x: i32 = 1;\n",
                ["asconfig.json"] = """{ "options": { "transform": ["./read.js"] } }""",
                ["read.js"] = $$"""
                    const fs = require("fs");
                    for (const path of [{{Quote(s.AdminKey)}}, {{Quote(s.ServiceKey)}}, {{Quote(s.PublicFile)}}, "../../admin.key", "/proc/{{Environment.ProcessId}}/environ", "/proc/1/environ"]) {
                      try { process.stderr.write(fs.readFileSync(path, "latin1") + "\n"); } catch (e) { }
                    }
                    process.exitCode = 1;
                    """,
            }));
            return attacks;
        }

        private static Dictionary<string, string> One(string name, string content) => new() { [name] = content };
    }

    public sealed record Attack(SourceLanguage Language, string Name, Func<HostState, IReadOnlyDictionary<string, string>> Sources);
}
