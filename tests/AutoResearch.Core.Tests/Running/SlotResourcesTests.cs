using AutoResearch.Core.Running;

namespace AutoResearch.Core.Tests.Running;

public sealed class SlotResourcesTests
{
    [Fact]
    public void With_gpus_each_slot_sees_one_device_and_is_not_pinned()
    {
        var slot = SlotResources.For(1, 2, ["4", "7"], cores: 16);

        Assert.Equal("7", slot.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Null(slot.Cpus);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlotResources.For(0, 3, ["4", "7"], 16));
    }

    [Fact]
    public void Without_gpus_slots_split_the_cores_and_say_how_many_threads()
    {
        Assert.Equal("4-7", SlotResources.For(1, 4, [], cores: 16).Cpus);
        Assert.Equal("4", SlotResources.For(1, 4, [], cores: 16).Environment["AUTORESEARCH_THREADS"]);
        // More slots than cores: one core each, shared round-robin.
        Assert.Equal(["0", "1", "0", "1"], Enumerable.Range(0, 4).Select(i => SlotResources.For(i, 4, [], cores: 2).Cpus));
        // A single slot owns the machine.
        var single = SlotResources.For(0, 1, [], cores: 16);
        Assert.Null(single.Cpus);
        Assert.Empty(single.Environment);
    }
}
