namespace AutoResearch.Core.Spec;

/// <summary>The <c>[report]</c> section: what <c>run</c> writes beside the ledger for people to look at.</summary>
public sealed record ReportSpec
{
    /// <summary>The defaults: <c>progress.png</c> rewritten after each experiment.</summary>
    public static ReportSpec Default { get; } = new();

    /// <summary><c>progress_png</c>: rewrite <c>progress.png</c> in the workspace after each experiment. Default true.</summary>
    public bool ProgressPng { get; init; } = true;
}
