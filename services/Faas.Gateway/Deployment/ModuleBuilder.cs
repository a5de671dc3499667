using Faas.Gateway.Errors;
using Faas.Wasm.Validation;

namespace Faas.Gateway.Deployment;

/// <summary>Turns a deploy's source into a validated binary module, or a clear InvalidRequest.</summary>
public sealed class ModuleBuilder(FunctionModuleValidator validator)
{
    public byte[] Build(string language, string? source, byte[]? wasm)
    {
        var result = language switch
        {
            "wasm" => validator.Validate(wasm!),
            "wat" => validator.ValidateText(source!),
            _ => throw new InvalidRequestException($"Language '{language}' is not supported."),
        };
        return result.Wasm ?? throw new InvalidRequestException(result.Error!);
    }
}
