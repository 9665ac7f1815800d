using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// The model's side of trusted scoring: answers token sequences with per-position log-probabilities, so that the
/// harness, not the model, computes the loss. The wire format (all integers int32 little-endian):
/// <list type="bullet">
/// <item>first, the server writes a handshake: the magic <c>ARLP</c>, the version (1), the vocabulary size V (256) and
/// the longest sequence it accepts (its context, T);</item>
/// <item>then, per request, the harness writes a length n (1..T) and n tokens, one byte each; a length of 0 ends the session;</item>
/// <item>the server answers each request, in order, with n·V float32 values: row p holds log P(next token | tokens 0..p).</item>
/// </list>
/// Requests of the same length are batched (up to <c>batch</c>) through one forward pass.
/// </summary>
public static class LogProbServer
{
    /// <summary>The protocol version written in the handshake.</summary>
    public const int Version = 1;

    /// <summary>Serves <paramref name="forward"/> over <paramref name="input"/> and <paramref name="output"/> until the end marker or end of input.</summary>
    /// <param name="forward">The model's forward pass (logits).</param>
    /// <param name="context">The longest sequence the model takes.</param>
    /// <param name="input">Requests.</param>
    /// <param name="output">Answers.</param>
    /// <param name="batch">Sequences per forward pass.</param>
    /// <returns>The number of sequences answered.</returns>
    public static long Serve(LogitsForward forward, int context, Stream input, Stream output, int batch = 16)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        const int V = ByteTokenizer.VocabSize;
        Span<byte> word = stackalloc byte[4];
        output.Write("ARLP"u8);
        foreach (var value in new[] { Version, V, context })
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, value);
            output.Write(word);
        }

        output.Flush();
        var graph = new Graph(recordGradients: false);
        var pending = new List<byte[]>(batch);
        byte[]? carried = null;
        long answered = 0;
        var rows = new float[batch * context * V];
        var ended = false;
        while (!ended || carried is not null)
        {
            pending.Clear();
            if (carried is not null)
            {
                pending.Add(carried);
                carried = null;
            }

            while (!ended && pending.Count < batch)
            {
                var request = ReadRequest(input, context);
                if (request is null)
                {
                    ended = true;
                }
                else if (pending.Count > 0 && request.Length != pending[0].Length)
                {
                    carried = request;
                    break;
                }
                else
                {
                    pending.Add(request);
                }
            }

            if (pending.Count == 0)
            {
                break;
            }

            var t = pending[0].Length;
            var tokens = new int[pending.Count * t];
            for (var i = 0; i < pending.Count; i++)
            {
                for (var p = 0; p < t; p++)
                {
                    tokens[(i * t) + p] = pending[i][p];
                }
            }

            graph.Reset();
            var logits = forward(graph, tokens, pending.Count, t);
            if (logits.Length != pending.Count * t * V)
            {
                throw new WorkloadException($"the model returned {logits} for {pending.Count}x{t} tokens; expected [{pending.Count * t}, {V}] logits");
            }

            var answer = rows.AsSpan(0, pending.Count * t * V);
            for (var r = 0; r < pending.Count * t; r++)
            {
                LogSoftmax(logits.Data.AsSpan(r * V, V), answer.Slice(r * V, V));
            }

            output.Write(MemoryMarshal.AsBytes(answer));
            answered += pending.Count;
        }

        output.Flush();
        return answered;
    }

    /// <summary>log softmax: x - max - log(sum exp(x - max)), the sum in float over the vectorised exponentials.</summary>
    internal static void LogSoftmax(ReadOnlySpan<float> logits, Span<float> destination)
    {
        var max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, destination);
        TensorPrimitives.Exp(destination, destination);
        var log = max + MathF.Log(TensorPrimitives.Sum<float>(destination));
        TensorPrimitives.Subtract(logits, log, destination);
    }

    private static byte[]? ReadRequest(Stream input, int context)
    {
        Span<byte> word = stackalloc byte[4];
        var read = input.ReadAtLeast(word, 4, throwOnEndOfStream: false);
        if (read == 0)
        {
            return null;
        }

        if (read < 4)
        {
            throw new WorkloadException("scoring input ended inside a request's length");
        }

        var n = BinaryPrimitives.ReadInt32LittleEndian(word);
        if (n == 0)
        {
            return null;
        }

        if (n < 0 || n > context)
        {
            throw new WorkloadException($"a scoring request of {n} tokens; this model takes 1 to {context}");
        }

        var tokens = new byte[n];
        input.ReadExactly(tokens);
        return tokens;
    }
}
