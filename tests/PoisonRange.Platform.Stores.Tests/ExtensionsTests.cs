using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace PoisonRange.Platform.Stores.Tests;

public sealed class ExtensionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Memory_is_the_default()
    {
        using var services = new ServiceCollection().AddPlatformStore(Config()).BuildServiceProvider();
        var store = services.GetRequiredService<IPlatformStore>();
        Assert.IsType<InMemoryPlatformStore>(store);
        Assert.Same(store, services.GetRequiredService<IPlatformStore>());
    }

    [Fact]
    public void Kind_is_read_case_insensitively()
    {
        using var services = new ServiceCollection().AddPlatformStore(Config(("Store:Kind", " Memory "))).BuildServiceProvider();
        Assert.Equal("memory", services.GetRequiredService<IPlatformStore>().Kind);
    }

    [Fact]
    public void Unknown_kind_fails_at_registration()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddPlatformStore(Config(("Store:Kind", "sql"))));
        Assert.Contains("sql", error.Message);
    }

    [Fact]
    public void Redis_without_a_connection_fails_when_resolved()
    {
        using var services = new ServiceCollection().AddPlatformStore(Config(("Store:Kind", "redis"))).BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IPlatformStore>());
    }

    [Fact]
    public void Redis_uses_an_already_registered_multiplexer()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:1,abortConnect=false,connectTimeout=100");
        using var multiplexer = ConnectionMultiplexer.Connect(options);
        var collection = new ServiceCollection().AddSingleton<IConnectionMultiplexer>(multiplexer);
        using var services = collection.AddPlatformStore(Config(("Store:Kind", "redis"), ("Store:KeyPrefix", "p:"))).BuildServiceProvider();
        var store = Assert.IsType<RedisPlatformStore>(services.GetRequiredService<IPlatformStore>());
        Assert.Equal("p:", store.KeyPrefix);
    }
}
