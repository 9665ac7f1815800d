namespace AutoResearch.Swarm.Protocol;

/// <summary>The protocol's version: every path starts with <see cref="Prefix"/>, and the signature covers it.</summary>
public static class ProtocolVersion
{
    /// <summary>The version this build speaks.</summary>
    public const string Current = "v1";

    /// <summary>The path prefix of every endpoint of this version.</summary>
    public const string Prefix = "/v1";
}
