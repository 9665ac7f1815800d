using System.Globalization;

namespace AutoResearch.Tests.Support;

/// <summary>
/// A workspace whose experiment has known noise: it prints <c>score: X + Y + NOISE·N(0,1)</c>, the Gaussian drawn from a
/// generator seeded with <c>AUTORESEARCH_SEED</c> and <c>NONCE</c> (so changing only NONCE is a pure-noise change, like
/// "random seed 42 -> 137"), minus <c>LUCK</c> when the seed is the first run's (a change that only looks good on one seed),
/// plus <c>JITTER</c> on odd seeds (a spread between runs of one code that is known exactly).
/// Its learning curve is <c>X + Y + 10/step</c> plus the same noise, <c>STEPS</c> progress lines, <c>STEP_SLEEP</c> seconds apart;
/// <c>SLEEP</c> seconds pass before the summary.
/// </summary>
internal sealed class NoisyWorkspace : IDisposable
{
    public const string Experiment = """
        #!/usr/bin/env bash
        source ./knobs.sh
        awk -v x="$X" -v y="$Y" -v s="$NOISE" -v seed="$AUTORESEARCH_SEED" -v nonce="$NONCE" -v luck="$LUCK" -v jitter="$JITTER" \
            -v steps="$STEPS" -v pause="$STEP_SLEEP" 'BEGIN {
          srand(seed * 7919 + nonce);
          for (i = 1; i <= steps; i++) {
            u = 1 - rand(); v = rand(); n = sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
            printf "progress: %d%% loss: %.6f\n", i * 100 / steps, x + y + 10 / i + s * n;
            fflush();
            if (pause > 0) system("sleep " pause);
          }
          u = 1 - rand(); v = rand(); n = sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
          score = x + y + s * n - (seed == 42 ? luck : 0) + (seed % 2 == 1 ? jitter : 0);
          print "---"; printf "score: %.6f\n", score;
        }'
        sleep "$SLEEP"
        """;

    public NoisyWorkspace(double noise, string extraToml = "", double x = 10, double y = 10, int steps = 4)
    {
        var inv = CultureInfo.InvariantCulture;
        Repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = $"""
                [objective]
                metric = "score"
                direction = "minimize"

                [run]
                command = "bash experiment.sh"
                timeout_seconds = 60

                [scope]
                editable = ["knobs.sh"]

                {extraToml}
                """,
            ["experiment.sh"] = Experiment,
            ["knobs.sh"] = string.Create(inv, $"""
                X={x}
                # the first knob
                # is kept apart from the second
                # so that edits to each merge cleanly
                Y={y}
                NOISE={noise}
                NONCE=0
                LUCK=0
                JITTER=0
                STEPS={steps}
                STEP_SLEEP=0
                SLEEP=0

                """),
        });
    }

    public TempGitRepo Repo { get; }

    public string Root => Repo.Root;

    /// <summary>A bash line that sets knob <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static string Set(string name, double value) =>
        string.Create(CultureInfo.InvariantCulture, $"sed -i 's/^{name}=.*/{name}={value}/' knobs.sh");

    public void Dispose() => Repo.Dispose();
}
