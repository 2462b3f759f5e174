namespace PoisonRange.Platform.Stores.Tests;

public sealed class InMemoryPlatformStoreTests : PlatformStoreContract
{
    protected override Task<IPlatformStore> NewStoreAsync() => Task.FromResult<IPlatformStore>(new InMemoryPlatformStore());

    [Fact]
    public void Kind_is_memory() => Assert.Equal("memory", new InMemoryPlatformStore().Kind);

    [Fact]
    public async Task Loaded_checkpoint_is_a_copy()
    {
        var store = new InMemoryPlatformStore();
        await store.SaveModelAsync(new ModelCheckpoint("v", [1, 2], 0, 0, 0, ""));
        (await store.LoadModelAsync())!.Payload[0] = 9;
        Assert.Equal([1, 2], (await store.LoadModelAsync())!.Payload);
    }
}
