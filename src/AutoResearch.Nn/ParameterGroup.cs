namespace AutoResearch.Nn;

/// <summary>Parameters an optimizer treats alike: one weight decay and one learning-rate scale for all of them.</summary>
/// <param name="Parameters">The tensors of the group.</param>
/// <param name="WeightDecay">Decoupled weight decay per unit learning rate; default 0.</param>
/// <param name="LearningRateScale">The group's learning rate as a multiple of the one given to a step; default 1.</param>
public sealed record ParameterGroup(IReadOnlyList<Tensor> Parameters, float WeightDecay = 0f, float LearningRateScale = 1f);
