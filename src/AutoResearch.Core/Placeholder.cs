namespace AutoResearch.Core;
internal static class Placeholder { }
