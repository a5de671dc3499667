using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary><c>faas new</c>: a working function to start from, with its <c>faas.yaml</c>.</summary>
public static partial class NewCommand
{
    private sealed record Template(string File, string Plain, string Http);

    private static readonly Dictionary<string, Template> Templates = new(StringComparer.Ordinal)
    {
        ["c"] = new("function.c",
            """
            // A Faas function: the payload is stdin, the response is what it writes to stdout.
            #include <stdio.h>

            int main(void) {
                char name[256];
                size_t n = fread(name, 1, sizeof name - 1, stdin);
                name[n] = '\0';
                printf("Hello, %s!\n", n > 0 ? name : "world");
                fprintf(stderr, "greeted %zu bytes\n", n);  // stderr is the function's log
                return 0;
            }

            """,
            """
            // A Faas HTTP function: the request is in CGI variables and on stdin; the response is CGI headers, a blank
            // line, then the body, on stdout.
            #include <stdio.h>
            #include <stdlib.h>

            int main(void) {
                const char *method = getenv("REQUEST_METHOD");
                const char *path = getenv("PATH_INFO");
                printf("Content-Type: application/json\r\n\r\n");
                printf("{\"method\":\"%s\",\"path\":\"%s\"}\n", method ? method : "", path ? path : "");
                return 0;
            }

            """),
        ["cpp"] = new("function.cpp",
            """
            // A Faas function: the payload is stdin, the response is what it writes to stdout.
            #include <iostream>
            #include <iterator>
            #include <string>

            int main() {
                std::string name{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
                std::cout << "Hello, " << (name.empty() ? "world" : name) << "!\n";
                std::cerr << "greeted " << name.size() << " bytes\n";  // stderr is the function's log
                return 0;
            }

            """,
            """
            // A Faas HTTP function: the request is in CGI variables and on stdin; the response is CGI headers, a blank
            // line, then the body, on stdout.
            #include <cstdlib>
            #include <iostream>

            int main() {
                const char *method = std::getenv("REQUEST_METHOD");
                const char *path = std::getenv("PATH_INFO");
                std::cout << "Content-Type: application/json\r\n\r\n"
                          << "{\"method\":\"" << (method ? method : "") << "\",\"path\":\"" << (path ? path : "") << "\"}\n";
                return 0;
            }

            """),
        ["rust"] = new("main.rs",
            """
            // A Faas function: the payload is stdin, the response is what it writes to stdout.
            use std::io::{self, Read};

            fn main() {
                let mut name = String::new();
                io::stdin().read_to_string(&mut name).expect("read stdin");
                println!("Hello, {}!", if name.is_empty() { "world" } else { &name });
                eprintln!("greeted {} bytes", name.len()); // stderr is the function's log
            }

            """,
            """
            // A Faas HTTP function: the request is in CGI variables and on stdin; the response is CGI headers, a blank
            // line, then the body, on stdout.
            use std::env;

            fn main() {
                let method = env::var("REQUEST_METHOD").unwrap_or_default();
                let path = env::var("PATH_INFO").unwrap_or_default();
                print!("Content-Type: application/json\r\n\r\n");
                println!("{{\"method\":\"{}\",\"path\":\"{}\"}}", method, path);
            }

            """),
        ["assemblyscript"] = new("index.ts",
            """
            // A Faas function: readInput() is the payload, writeOutput() the response.
            import { readInput, writeOutput } from "./faas";

            const input = readInput();
            const name = String.UTF8.decodeUnsafe(input.dataStart, input.length);
            writeOutput(Uint8Array.wrap(String.UTF8.encode(`Hello, ${name.length > 0 ? name : "world"}!\n`)));

            """,
            """
            // A Faas HTTP function: answers CGI headers, a blank line, then the body (the request's body is readInput()).
            import { readInput, writeOutput } from "./faas";

            const input = readInput();
            writeOutput(Uint8Array.wrap(String.UTF8.encode(`Content-Type: text/plain\r\n\r\nreceived ${input.length} bytes\n`)));

            """),
        ["wat"] = new("function.wat",
            """
            ;; A Faas function in WebAssembly text: writes "Hello, world!" to stdout.
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "Hello, world!\n")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 14))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))

            """,
            """
            ;; A Faas HTTP function in WebAssembly text: answers 200 text/plain "Hello, world!".
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "Content-Type: text/plain\0d\0a\0d\0aHello, world!\0a")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 42))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))

            """),
    };

    public static Command Create()
    {
        var language = new Argument<string>("language") { Description = $"One of: {string.Join(", ", Templates.Keys)}" };
        language.AcceptOnlyFromAmong([.. Templates.Keys]);
        var name = new Argument<string>("name") { Description = "The function's name: a-z, 0-9 and '-', starting with a letter; also the folder made" };
        var http = new Option<bool>("--http") { Description = "An HTTP function (called at /fn/<name>/... with any method)" };
        var command = new Command("new", "Write a working function skeleton and its faas.yaml into a new folder.")
        {
            language, name, http,
        }.WithExamples("faas new c hello && cd hello && faas deploy", "faas new rust api --http");
        command.Run((parse, _, _) =>
        {
            var functionName = parse.GetValue(name)!;
            if (!FunctionName().IsMatch(functionName))
            {
                throw new CliException($"'{functionName}' is not a function name: use a-z, 0-9 and '-', starting with a letter, at most 63 characters.", ExitCodes.Usage);
            }

            var folder = Path.GetFullPath(functionName);
            if (Directory.Exists(folder) || File.Exists(folder))
            {
                throw new CliException($"{folder} already exists; pick another name or folder.", ExitCodes.Usage);
            }

            var key = parse.GetValue(language)!;
            var template = Templates[key];
            var isHttp = parse.GetValue(http);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, template.File), isHttp ? template.Http : template.Plain);
            File.WriteAllText(Path.Combine(folder, Manifest.FileName),
                $"""
                functions:
                  - name: {functionName}
                    language: {key}
                    source: {template.File}
                    config:
                      timeoutMs: 30000{(isHttp ? "\n      http: {}" : "")}

                """);
            var files = new List<string> { template.File };
            files.Add(Manifest.FileName);
            AnsiConsole.MarkupLineInterpolated($"Wrote {folder}: {string.Join(", ", files)}. Deploy it with: cd {functionName} && faas deploy");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex FunctionName();
}
