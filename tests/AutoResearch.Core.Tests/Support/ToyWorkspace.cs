using System.Globalization;

namespace AutoResearch.Tests.Support;

/// <summary>
/// A workspace whose experiment prints <c>score: $X</c> from the editable <c>knobs.sh</c>, and a scripted agent
/// that applies one line of a plan per experiment (each line is bash run in the worktree).
/// <c>MODE</c> in knobs.sh makes the experiment crash, hang, tamper or print no metric.
/// </summary>
internal sealed class ToyWorkspace : IDisposable
{
    public const string Experiment = """
        #!/usr/bin/env bash
        source ./knobs.sh
        case "${MODE:-ok}" in
          crash) echo "boom" >&2; exit 3 ;;
          nometric) echo "finished without a score" ;;
          hang) sleep "$HANG" & sleep "$HANG"; wait ;;
          tamper) echo "# changed by the run" >> experiment.sh; echo "score: $X" ;;
          nan) echo "score: nan" ;;
          slow) [ -f "$FAST_FLAG" ] || sleep "$HANG"; echo "---"; echo "score: $X" ;;
          *) echo "progress: 50% loss: $X"; echo "---"; echo "score: $X"; echo "peak_memory_mb: 12.5" ;;
        esac
        """;

    /// <param name="x">The score the experiment prints at first.</param>
    /// <param name="timeoutSeconds">[run] timeout_seconds.</param>
    /// <param name="extraToml">More TOML after the [agent] section (more sections).</param>
    /// <param name="runToml">More keys of the [run] section.</param>
    public ToyWorkspace(double x = 10, int timeoutSeconds = 30, string? extraToml = null, string? runToml = null)
    {
        Scratch = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "scratch-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Scratch);
        Repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = $"""
                [objective]
                metric = "score"
                direction = "minimize"

                [run]
                command = "bash experiment.sh"
                timeout_seconds = {timeoutSeconds}
                {runToml}

                [scope]
                editable = ["knobs.sh"]

                [agent]
                # The scripted agent runs in its sandbox (the default) and keeps its plan and counter outside the repository.
                writable = ["{Scratch}"]
                {extraToml}
                """,
            ["experiment.sh"] = Experiment,
            ["knobs.sh"] = $"X={x.ToString(CultureInfo.InvariantCulture)}\nMODE=ok\nHANG=1\n",
            ["program.md"] = "Lower the score.\n",
        });
        AgentScript = Path.Combine(Scratch, "agent.sh");
        File.WriteAllText(AgentScript, """
            #!/usr/bin/env bash
            dir="$(dirname "$0")"
            n=$(cat "$dir/counter" 2>/dev/null || echo 0)
            n=$((n + 1))
            echo "$n" > "$dir/counter"
            cp "$1" "$dir/prompt-$n.md"
            line=$(sed -n "${n}p" "$dir/plan")
            eval "$line"
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(AgentScript, File.GetUnixFileMode(AgentScript) | UnixFileMode.UserExecute);
        Plan();
    }

    public TempGitRepo Repo { get; }

    public string Root => Repo.Root;

    /// <summary>A folder outside the repository for the agent's script, plan and counter.</summary>
    public string Scratch { get; }

    public string AgentScript { get; }

    /// <summary>The cli agent's command template.</summary>
    public string AgentCommand => $"bash {AgentScript} {{prompt}}";

    /// <summary>Writes the agent's plan: one bash line per experiment.</summary>
    public void Plan(params string[] lines) => File.WriteAllText(Path.Combine(Scratch, "plan"), string.Join('\n', lines) + "\n");

    /// <summary>A plan line that sets X and describes it.</summary>
    public static string SetX(double x) =>
        $"sed -i 's/^X=.*/X={x.ToString(CultureInfo.InvariantCulture)}/' knobs.sh; echo 'set X to {x.ToString(CultureInfo.InvariantCulture)}'";

    /// <summary>A plan line that sets MODE (and X) and describes it.</summary>
    public static string SetMode(string mode, double x = 1) =>
        $"sed -i 's/^MODE=.*/MODE={mode}/; s/^X=.*/X={x.ToString(CultureInfo.InvariantCulture)}/' knobs.sh; echo 'mode {mode}'";

    public void Dispose()
    {
        Repo.Dispose();
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temp eventually.
        }
    }
}
