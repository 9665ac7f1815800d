using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// The model as the fixed half sees it when scoring: given <paramref name="tokens"/> [batch, time]
/// (row-major), return next-token logits [batch·time, 256] computed on <paramref name="graph"/>.
/// Position t may only depend on tokens 0..t of its row.
/// </summary>
public delegate Tensor LogitsForward(Graph graph, int[] tokens, int batch, int time);
