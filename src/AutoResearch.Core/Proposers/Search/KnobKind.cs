namespace AutoResearch.Core.Proposers.Search;

/// <summary>What kind of literal a knob is.</summary>
public enum KnobKind
{
    Float,
    Integer,
    Boolean,
    Choice,
}
