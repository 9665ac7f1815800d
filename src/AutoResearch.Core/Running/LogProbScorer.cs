using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AutoResearch.Core.Running;

/// <summary>
/// Trusted scoring of a language model over bytes: the model serves per-position log-probabilities, the harness computes
/// the loss. Protocol (integers int32 little-endian): the server first writes the magic <c>ARLP</c>, the version (1), the
/// vocabulary size (256) and its context T; then, for each request of a length n (1..T) and n token bytes, it answers
/// n·256 float32 natural-log probabilities, row p for the token after position p; a length of 0 ends the session.
/// <para>
/// The holdout is cut into windows of T tokens, every target scored once (as the tinygpt workload scores itself). The
/// windows are shuffled and split between two fresh server processes, and each also receives, at random places, copies
/// of some of the other's windows with the tokens after a random position k replaced by other holdout text (the
/// causality probes). The answers up to k must equal the original's: a model that looks ahead cannot tell a probe from
/// a window, and cannot remember an answer across the two processes. Every row must be a distribution (finite,
/// logsumexp 0 within <see cref="RowTolerance"/>).
/// </para>
/// </summary>
internal static class LogProbScorer
{
    /// <summary>How far a row's logsumexp may be from 0.</summary>
    public const double RowTolerance = 1e-3;

    /// <summary>How far a probe's answer may be from the original's, in nats.</summary>
    public const double CausalTolerance = 1e-3;

    private const int Vocab = 256;

    /// <summary>What scoring found.</summary>
    /// <param name="Bits">Bits per token over the holdout; null when scoring failed.</param>
    /// <param name="Failure">Why it failed.</param>
    /// <param name="Violation">True when the failure is the model breaking the rules (looking ahead, not a distribution), not a crash.</param>
    /// <param name="Windows">Windows scored.</param>
    /// <param name="Probes">Causality probes checked.</param>
    public sealed record Result(double? Bits, string? Failure, bool Violation, int Windows, int Probes)
    {
        /// <summary>From the start of the servers to both handshakes: process start, build check, JIT, checkpoint load.</summary>
        public TimeSpan Startup { get; init; }
    }

    /// <summary>Scores <paramref name="holdout"/> with two servers started by <paramref name="start"/> (called with 0 and 1).</summary>
    public static async Task<Result> ScoreAsync(byte[] holdout, int probes, Func<int, ProcessGroup> start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(start);
        if (holdout.Length < 2)
        {
            return new Result(null, $"the holdout holds {holdout.Length} bytes; at least 2 are needed", false, 0, 0);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var servers = new ProcessGroup?[2];
        var clock = Stopwatch.StartNew();
        try
        {
            servers[0] = start(0);
            servers[1] = start(1);
            var contexts = new int[2];
            for (var s = 0; s < 2; s++)
            {
                var (context, problem) = await HandshakeAsync(servers[s]!.Output, deadline.Token).ConfigureAwait(false);
                if (problem is not null)
                {
                    return new Result(null, await CrashedAsync(servers[s]!, problem).ConfigureAwait(false), false, 0, 0);
                }

                contexts[s] = context;
            }

            if (contexts[0] != contexts[1])
            {
                return new Result(null, $"the two scoring processes announced different contexts ({contexts[0]} and {contexts[1]})", true, 0, 0);
            }

            var startup = clock.Elapsed;
            var plan = Plan(holdout, contexts[0], probes);
            var states = new Work[2];
            for (var s = 0; s < 2; s++)
            {
                states[s] = new Work(plan, s);
            }

            var tasks = new List<Task>();
            for (var s = 0; s < 2; s++)
            {
                tasks.Add(WriteAsync(servers[s]!.Input, plan, states[s].Requests, deadline.Token));
                tasks.Add(ReadAsync(servers[s]!.Output, plan, states[s], deadline.Token));
            }

            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException)
            {
                // A server that died, closed its pipes or ran past the timeout: report it with its log.
                // Tasks 2s and 2s + 1 write to and read from server s.
                var index = tasks.FindIndex(t => t.IsFaulted || t.IsCanceled);
                var failed = servers[Math.Max(index, 0) / 2]!;
                var why = deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                    ? $"scoring ran past the {timeout.TotalSeconds:0} s timeout"
                    : $"the scoring process stopped answering ({e.Message})";
                cancellationToken.ThrowIfCancellationRequested();
                return new Result(null, await CrashedAsync(failed, why).ConfigureAwait(false), false, 0, 0);
            }

            foreach (var server in servers)
            {
                var outcome = await server!.WaitAsync(timeout, deadline.Token).ConfigureAwait(false);
                if (outcome.ExitCode != 0)
                {
                    return new Result(null, await CrashedAsync(server, $"the scoring process exited with code {outcome.ExitCode}").ConfigureAwait(false), false, 0, 0);
                }
            }

            var broken = states.Select(w => w.Broken).FirstOrDefault(b => b is not null);
            if (broken is not null)
            {
                return new Result(null, broken, true, plan.Windows.Count, plan.Probes.Count);
            }

            var causal = CheckProbes(plan, states);
            if (causal is not null)
            {
                return new Result(null, causal, true, plan.Windows.Count, plan.Probes.Count);
            }

            var bits = states.Sum(w => w.Bits) / states.Sum(w => w.Count);
            return new Result(bits, null, false, plan.Windows.Count, plan.Probes.Count) { Startup = startup };
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<string> CrashedAsync(ProcessGroup server, string why)
    {
        await server.DisposeAsync().ConfigureAwait(false);
        var log = server.LogPath;
        var tail = File.Exists(log) ? ExperimentRunner.Tail(await File.ReadAllTextAsync(log, CancellationToken.None).ConfigureAwait(false), 3) : "";
        return $"{why}; see {log}{(tail.Length > 0 ? $" (last lines: {tail.Replace('\n', ' ')})" : "")}";
    }

    private static async Task<(int Context, string? Problem)> HandshakeAsync(Stream output, CancellationToken cancellationToken)
    {
        var header = new byte[16];
        var read = await output.ReadAtLeastAsync(header, 16, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < 16)
        {
            return (0, "the scoring process ended before its handshake (is [score] serve the model's log-probability server?)");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        var vocab = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        var context = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        if (!header.AsSpan(0, 4).SequenceEqual("ARLP"u8) || version != 1)
        {
            return (0, $"the scoring process did not start with the ARLP version 1 handshake (got {Convert.ToHexString(header)})");
        }

        return vocab != Vocab || context is < 1 or > 1 << 20
            ? (0, $"the scoring process announced vocabulary {vocab} and context {context}; expected vocabulary {Vocab} and a context from 1 to 1048576")
            : (context, null);
    }

    /// <summary>The windows of the holdout and the probes, split between the two servers.</summary>
    private sealed record ScorePlan(byte[] Holdout, int Time, List<(int Start, int From)> Windows, List<Probe> Probes, List<int>[] Assigned);

    /// <summary>Window <paramref name="Window"/> with its tokens after <paramref name="Cut"/> replaced by <paramref name="Tokens"/>.</summary>
    private sealed record Probe(int Window, int Cut, byte[] Tokens);

    private static ScorePlan Plan(byte[] holdout, int context, int probes)
    {
        var n = holdout.Length;
        var t = Math.Min(context, n - 1);
        var windows = new List<(int, int)>();
        var s = 0;
        for (; s + t + 1 <= n; s += t)
        {
            windows.Add((s, 0));
        }

        if (s < n - 1)
        {
            windows.Add((n - 1 - t, s - (n - 1 - t)));
        }

        // The order and the split come from a secret the model cannot predict.
        var order = Enumerable.Range(0, windows.Count).ToArray();
        RandomNumberGenerator.Shuffle(order.AsSpan());
        var assigned = new[] { new List<int>(), new List<int>() };
        for (var i = 0; i < order.Length; i++)
        {
            assigned[i % 2].Add(order[i]);
        }

        var probeList = new List<Probe>();
        var own = assigned.Select(l => l.ToArray()).ToArray();
        if (t >= 2 && windows.Count >= 2)
        {
            for (var p = 0; p < probes; p++)
            {
                var home = p % 2;
                var window = own[home][RandomNumberGenerator.GetInt32(own[home].Length)];
                var cut = RandomNumberGenerator.GetInt32(t - 1);
                var other = windows[(window + 1 + RandomNumberGenerator.GetInt32(windows.Count - 1)) % windows.Count].Item1;
                var tokens = holdout.AsSpan(windows[window].Item1, t).ToArray();
                holdout.AsSpan(other + cut + 1, t - cut - 1).CopyTo(tokens.AsSpan(cut + 1));
                if (tokens[cut + 1] == holdout[windows[window].Item1 + cut + 1])
                {
                    // The next token must change, or a model that peeks at it alone would pass.
                    tokens[cut + 1] = (byte)(tokens[cut + 1] + 1 + RandomNumberGenerator.GetInt32(Vocab - 1));
                }

                probeList.Add(new Probe(window, cut, tokens));
                // Sent to the other server, at a random place among its windows (probe ids are encoded as -1 - index).
                var list = assigned[1 - home];
                list.Insert(RandomNumberGenerator.GetInt32(list.Count + 1), -1 - (probeList.Count - 1));
            }
        }

        return new ScorePlan(holdout, t, windows, probeList, assigned);
    }

    /// <summary>One server's share: its requests, the bits it scored, the rows kept for causality checks.</summary>
    private sealed class Work(ScorePlan plan, int server)
    {
        public List<int> Requests { get; } = plan.Assigned[server];

        public double Bits { get; set; }

        public long Count { get; set; }

        public string? Broken { get; set; }

        public Dictionary<int, float[]> Kept { get; } = [];
    }

    private static async Task WriteAsync(Stream input, ScorePlan plan, List<int> requests, CancellationToken cancellationToken)
    {
        var t = plan.Time;
        var buffer = new byte[4 + t];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, t);
        try
        {
            foreach (var request in requests)
            {
                var tokens = request >= 0 ? plan.Holdout.AsSpan(plan.Windows[request].Start, t) : plan.Probes[-1 - request].Tokens;
                tokens.CopyTo(buffer.AsSpan(4));
                await input.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            await input.WriteAsync(new byte[4], cancellationToken).ConfigureAwait(false);
            await input.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            input.Close();
        }
    }

    private static async Task ReadAsync(Stream output, ScorePlan plan, Work work, CancellationToken cancellationToken)
    {
        var t = plan.Time;
        var bytes = new byte[t * Vocab * sizeof(float)];
        var probed = plan.Probes.Select(p => p.Window).ToHashSet();
        var scratch = new float[Vocab];
        for (var i = 0; i < work.Requests.Count; i++)
        {
            await output.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            var rows = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
            var request = work.Requests[i];
            for (var p = 0; p < t && work.Broken is null; p++)
            {
                var row = rows.Slice(p * Vocab, Vocab);
                if (RowProblem(row, scratch) is { } problem)
                {
                    work.Broken = string.Create(CultureInfo.InvariantCulture,
                        $"the model's answer at position {p} of a holdout sequence is not a probability distribution ({problem}); log-probabilities must be finite and their exponentials must sum to 1");
                }
            }

            if (request >= 0)
            {
                var (start, from) = plan.Windows[request];
                double bits = 0;
                for (var p = from; p < t; p++)
                {
                    bits -= rows[(p * Vocab) + plan.Holdout[start + p + 1]];
                }

                work.Bits += bits / Math.Log(2);
                work.Count += t - from;
                if (probed.Contains(request))
                {
                    work.Kept[request] = rows.ToArray();
                }
            }
            else
            {
                work.Kept[request] = rows[..((plan.Probes[-1 - request].Cut + 1) * Vocab)].ToArray();
            }
        }

        // Anything after the last answer is a protocol error.
        if (await output.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
        {
            work.Broken ??= "the scoring process wrote more than the answers it was asked for";
        }
    }

    private static string? RowProblem(ReadOnlySpan<float> row, Span<float> scratch)
    {
        var (min, max) = (TensorPrimitives.Min(row), TensorPrimitives.Max(row));
        if (!float.IsFinite(min) || !float.IsFinite(max))
        {
            var bad = float.IsFinite(min) ? max : min;
            return $"it holds {bad.ToString(CultureInfo.InvariantCulture)}";
        }

        TensorPrimitives.Subtract(row, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        var lse = max + Math.Log(TensorPrimitives.Sum<float>(scratch));
        return Math.Abs(lse) > RowTolerance ? string.Create(CultureInfo.InvariantCulture, $"logsumexp {lse:G4}") : null;
    }

    private static string? CheckProbes(ScorePlan plan, Work[] work)
    {
        for (var i = 0; i < plan.Probes.Count; i++)
        {
            var probe = plan.Probes[i];
            var answer = work.Select(w => w.Kept.GetValueOrDefault(-1 - i)).First(a => a is not null)!;
            var original = work.Select(w => w.Kept.GetValueOrDefault(probe.Window)).First(a => a is not null)!;
            for (var p = 0; p <= probe.Cut; p++)
            {
                var worst = 0.0;
                for (var v = 0; v < Vocab; v++)
                {
                    worst = Math.Max(worst, Math.Abs(answer[(p * Vocab) + v] - original[(p * Vocab) + v]));
                }

                if (worst > CausalTolerance)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"causality check failed: changing the holdout tokens after position {probe.Cut} changed the model's answer at position {p} by up to {worst:G3} nats; the model looks ahead at tokens it should predict");
                }
            }
        }

        return null;
    }
}
