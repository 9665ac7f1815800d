namespace AutoResearch.Nn;

/// <summary>One recorded operation: what ran, on what, with which saved values.</summary>
internal struct Node
{
    public Op Op;
    public Tensor Out;
    public Tensor? A;
    public Tensor? B;
    public Tensor? C;
    public Tensor? Saved0;
    public Tensor? Saved1;
    public int[]? Ids;
    public int I0;
    public int I1;
    public int I2;
    public float F0;
}
