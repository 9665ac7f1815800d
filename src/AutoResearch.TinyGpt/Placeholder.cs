namespace AutoResearch.TinyGpt;
internal static class Placeholder { }
