using System.Buffers.Binary;
using System.Runtime.InteropServices;
using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// A trained model's parameters on disk, in the order the model lists them: the magic <c>ARCK</c>, a version
/// (int32, 1), the tensor count (int32), then per tensor its length (int32) and its values (float32), all
/// little-endian. The scoring phase rebuilds the model from the same <c>train.cs</c> and loads these values.
/// </summary>
public static class Checkpoint
{
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "ARCK"u8;

    /// <summary>Writes <paramref name="parameters"/> to <paramref name="path"/> (atomically: a temp file, then a rename).</summary>
    public static void Save(string path, IEnumerable<Tensor> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            Span<byte> header = stackalloc byte[4];
            stream.Write(Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header, Version);
            stream.Write(header);
            BinaryPrimitives.WriteInt32LittleEndian(header, list.Count);
            stream.Write(header);
            foreach (var p in list)
            {
                BinaryPrimitives.WriteInt32LittleEndian(header, p.Length);
                stream.Write(header);
                // The platforms .NET runs on here are little-endian, as the format is.
                stream.Write(MemoryMarshal.AsBytes(p.Data.AsSpan(0, p.Length)));
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Loads the values at <paramref name="path"/> into <paramref name="parameters"/>.</summary>
    /// <exception cref="WorkloadException">The file is missing, not a checkpoint, or holds tensors of other sizes than the model's.</exception>
    public static void Load(string path, IEnumerable<Tensor> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (!File.Exists(path))
        {
            throw new WorkloadException($"checkpoint '{path}' does not exist; the training phase writes it (AUTORESEARCH_CHECKPOINT)");
        }

        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.Length < 12 || !span[..4].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(span[4..]) != Version)
        {
            throw new WorkloadException($"'{path}' is not a version {Version} checkpoint");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        if (count != list.Count)
        {
            throw new WorkloadException($"checkpoint '{path}' holds {count} tensors but the model has {list.Count}; train and score with the same train.cs");
        }

        var offset = 12;
        for (var i = 0; i < count; i++)
        {
            var length = offset + 4 <= span.Length ? BinaryPrimitives.ReadInt32LittleEndian(span[offset..]) : -1;
            offset += 4;
            if (length != list[i].Length || offset + (4L * length) > span.Length)
            {
                throw new WorkloadException($"checkpoint '{path}': tensor {i} holds {length} values but the model's has {list[i].Length}; train and score with the same train.cs");
            }

            MemoryMarshal.Cast<byte, float>(span.Slice(offset, 4 * length)).CopyTo(list[i].Data);
            offset += 4 * length;
        }
    }
}
