namespace AutoResearch.TinyGpt.Tests;

/// <summary>The fixed half's side of trusted scoring: its settings, the checkpoint, the training split, the server.</summary>
public sealed class TrustedOptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Trusted_settings_come_from_the_harness_environment_and_flags()
    {
        var o = WorkloadOptions.Parse(["--serve-logprobs", "/r/ck.bin", "--download-data"],
            Env(("AUTORESEARCH_CHECKPOINT", "/r/out.bin"), ("AUTORESEARCH_SPLIT", "train")));

        Assert.Equal("/r/out.bin", o.CheckpointPath);
        Assert.Equal("/r/ck.bin", o.ServeCheckpoint);
        Assert.True(o.TrainOnly);
        Assert.True(o.DownloadOnly);
        Assert.Throws<WorkloadException>(() => WorkloadOptions.Parse([], Env(("AUTORESEARCH_SPLIT", "validation"))));
    }

    [Fact]
    public void A_training_split_file_has_no_validation_data()
    {
        var path = Path.Combine(Path.GetTempPath(), $"train-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, SyntheticCorpus.Generate(1000, 4));
        try
        {
            var corpus = Corpus.Load(path, trainOnly: true);

            Assert.Equal(1000, corpus.Train.Length);
            Assert.Empty(corpus.Validation);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Checkpoint_round_trips_and_refuses_another_model()
    {
        var rng = new Nn.Rng(1);
        var parameters = new[] { Nn.Tensor.Normal([3, 4], 1f, rng), Nn.Tensor.Normal([5], 1f, rng) };
        var path = Path.Combine(Path.GetTempPath(), $"ck-{Guid.NewGuid():N}.bin");
        try
        {
            Checkpoint.Save(path, parameters);
            var loaded = new[] { Nn.Tensor.Zeros([3, 4]), Nn.Tensor.Zeros([5]) };
            Checkpoint.Load(path, loaded);

            Assert.Equal(parameters[0].Data, loaded[0].Data);
            Assert.Equal(parameters[1].Data, loaded[1].Data);
            var error = Assert.Throws<WorkloadException>(() => Checkpoint.Load(path, [Nn.Tensor.Zeros([3, 4]), Nn.Tensor.Zeros([6])]));
            Assert.Contains("tensor 1 holds 5 values but the model's has 6", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Server_answers_each_request_with_normalised_log_probabilities()
    {
        // A "model" whose logits are the position index on token 0: each row is a valid softmax input.
        Nn.Tensor Forward(Nn.Graph g, int[] tokens, int batch, int time)
        {
            var logits = Nn.Tensor.Zeros([batch * time, 256]);
            for (var r = 0; r < batch * time; r++)
            {
                logits.Data[r * 256] = r % time;
            }

            return logits;
        }

        using var input = new MemoryStream();
        foreach (var n in new[] { 3, 3, 2 })
        {
            input.Write(BitConverter.GetBytes(n));
            input.Write(new byte[n]);
        }

        input.Write(BitConverter.GetBytes(0));
        input.Position = 0;
        using var output = new MemoryStream();

        var answered = LogProbServer.Serve(Forward, context: 4, input, output);

        var bytes = output.ToArray();
        Assert.Equal(3, answered);
        Assert.Equal("ARLP"u8.ToArray(), bytes[..4]);
        Assert.Equal(4, BitConverter.ToInt32(bytes, 12));
        var rows = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(16)).ToArray();
        Assert.Equal((3 + 3 + 2) * 256, rows.Length);
        for (var r = 0; r < 8; r++)
        {
            var sum = rows.AsSpan(r * 256, 256).ToArray().Sum(v => Math.Exp(v));
            Assert.Equal(1.0, sum, 4);
        }
    }
}
