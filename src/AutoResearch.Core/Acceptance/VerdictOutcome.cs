namespace AutoResearch.Core.Acceptance;

/// <summary>The three answers of the acceptance rule.</summary>
public enum VerdictOutcome
{
    /// <summary>A real improvement (or a simplification that ties): keep it.</summary>
    Keep,

    /// <summary>Not better beyond the noise: throw it away.</summary>
    Discard,

    /// <summary>A borderline win: run it again with a fresh seed, then decide on the mean.</summary>
    Confirm,
}
