using AutoResearch.Core;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Spec;
using AutoResearch.Llm;

namespace AutoResearch.Cli;

/// <summary>Chooses the proposer from the command line, then <c>[agent]</c>, then the default (<c>search</c>).</summary>
internal static class ProposerFactory
{
    /// <param name="llm">For <c>llm</c>: <c>--provider</c>, <c>--model</c>, <c>--base-url</c> as given (null when not).</param>
    public static IProposer Create(ResearchSpec spec, string? kind, string? command, (string? Provider, string? Model, string? BaseUrl) llm = default)
    {
        kind ??= spec.Agent.Kind;
        command ??= spec.Agent.Command;
        switch (kind)
        {
            case "cli":
                if (string.IsNullOrWhiteSpace(command))
                {
                    throw new SpecException(spec.Source, [
                        "the cli agent needs a command: --agent-command \"claude -p \\\"$(cat {prompt})\\\" --permission-mode acceptEdits\" or [agent] command"]);
                }

                CliProposer.EnsureSandbox(spec);
                return new CliProposer(command, spec.Agent.Timeout);
            case "llm":
                return LlmProposer.Connect(LlmOptions.Resolve(spec.Agent, llm.Provider, llm.Model, llm.BaseUrl, $"command line and {spec.Source}"));
            case "search" or null:
                return new SearchProposer();
            default:
                throw new SpecException(spec.Source, [$"unknown agent \"{kind}\" (known: search, llm, cli)"]);
        }
    }
}
