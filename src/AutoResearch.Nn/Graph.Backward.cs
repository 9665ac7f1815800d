namespace AutoResearch.Nn;

public sealed partial class Graph
{
    private void BackwardNode(ref Node node)
    {
        switch (node.Op)
        {
            case Op.Linear:
                LinearBackward(ref node);
                break;
            case Op.MatMul:
                MatMulBackward(ref node);
                break;
            case Op.Add:
            case Op.Mul:
                BinaryBackward(ref node);
                break;
            case Op.Embedding:
                EmbeddingBackward(ref node);
                break;
            case Op.LayerNorm:
            case Op.RmsNorm:
                NormBackward(ref node);
                break;
            case Op.Attention:
                AttentionBackward(ref node);
                break;
            case Op.Rotary:
                RotaryBackward(ref node);
                break;
            case Op.Softmax:
                SoftmaxBackward(ref node);
                break;
            case Op.CrossEntropy:
                CrossEntropyBackward(ref node);
                break;
            default:
                ElementwiseBackward(ref node);
                break;
        }
    }
}
