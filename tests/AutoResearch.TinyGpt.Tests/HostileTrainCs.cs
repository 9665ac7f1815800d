namespace AutoResearch.TinyGpt.Tests;

/// <summary>
/// The template's train.cs with hostile behaviours switched on by <c>HOSTILE</c> (one build serves them all):
/// <c>fake</c> prints <c>val_bpb: 0.1</c>; <c>evaluate</c> asks the fixed half to score on the validation split;
/// <c>read-file</c> reads <c>HOSTILE_TARGET</c> (the corpus that holds the holdout); <c>peek</c> serves a model that
/// looks at the next token; <c>write-outside</c> writes <c>HOSTILE_TARGET</c>; <c>network</c> connects out;
/// <c>fork</c> starts processes until it cannot; <c>memory</c> allocates until it is stopped.
/// </summary>
internal static class HostileTrainCs
{
    private const string Prelude = """
        var hostile = Environment.GetEnvironmentVariable("HOSTILE") ?? "";
        var target = Environment.GetEnvironmentVariable("HOSTILE_TARGET") ?? "";
        switch (hostile)
        {
            case "evaluate":
                Console.WriteLine($"stolen val_bpb: {run.EvaluateBpb((g, t, b, n) => throw new InvalidOperationException("never called"), BLOCK_SIZE)}");
                break;
            case "read-file":
                var leaked = 0;
                try
                {
                    leaked = File.ReadAllBytes(target).Length;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.WriteLine($"read failed: {e.Message}");
                }

                Console.WriteLine($"leaked: {leaked} bytes");
                break;
            case "write-outside":
                File.WriteAllText(target, "escaped");
                break;
            case "network":
                using (var client = new System.Net.Sockets.TcpClient())
                {
                    client.Connect("1.1.1.1", 80);
                }

                break;
            case "fork":
                var children = new List<System.Diagnostics.Process>();
                while (true)
                {
                    children.Add(System.Diagnostics.Process.Start("sleep", "120")!);
                }

            case "memory":
                var hog = new List<byte[]>();
                while (true)
                {
                    var block = new byte[64 << 20];
                    Array.Fill(block, (byte)1);
                    hog.Add(block);
                }
        }

        """;

    private const string Ending = """
        LogitsForward forward = hostile != "peek" ? model.Forward : (g, tokens, b, t) =>
        {
            // Looks ahead: a large bonus on the logit of the token that follows each position.
            var logits = model.Forward(g, tokens, b, t);
            for (var i = 0; i < b; i++)
            {
                for (var p = 0; p + 1 < t; p++)
                {
                    logits.Data[(((i * t) + p) * 256) + tokens[(i * t) + p + 1]] += 30;
                }
            }

            return logits;
        };
        var code = run.Finish(forward, BLOCK_SIZE, model.Parameters);
        if (hostile == "fake")
        {
            Console.WriteLine("val_bpb:          0.100000");
        }

        return code;
        """;

    /// <summary>The hostile variant of <paramref name="template"/> (the template's train.cs text).</summary>
    public static string From(string template)
    {
        const string start = "var run = TrainingRun.Start(args);\n";
        const string finish = "return run.Finish(model.Forward, BLOCK_SIZE, model.Parameters);";
        if (!template.Contains(start, StringComparison.Ordinal) || !template.Contains(finish, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the template's train.cs no longer has the lines the hostile variant hooks into; update HostileTrainCs");
        }

        return template.Replace(start, start + Prelude, StringComparison.Ordinal).Replace(finish, Ending, StringComparison.Ordinal);
    }
}
