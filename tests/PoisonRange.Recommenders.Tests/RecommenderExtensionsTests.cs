using PoisonRange.Data;

namespace PoisonRange.Recommenders.Tests;

public sealed class RecommenderExtensionsTests
{
    [Fact]
    public void Excluded_items_get_minus_infinity_and_never_rank()
    {
        float[] scores = [0.5f, 2f, 2f, 1f, 3f];
        RecommenderExtensions.ExcludeItems(scores, [4, 100, -1]);
        Assert.Equal([0.5f, 2f, 2f, 1f, float.NegativeInfinity], scores);
        Assert.Equal([1, 2, 3, 0], TopK.Select(scores, 10));
    }
}
