namespace AutoResearch.Nn;
internal static class Placeholder { }
