namespace Faas.Storage.Model;

/// <summary>What deleting one version of a function came to.</summary>
public enum VersionDeletion
{
    Deleted,

    /// <summary>No such function or version.</summary>
    NotFound,

    /// <summary>The latest version stays: the function is listed by it and its number is the next deploy's base.</summary>
    Latest,

    /// <summary>The newest READY version stays: it is the one invocations run.</summary>
    Serving,
}
