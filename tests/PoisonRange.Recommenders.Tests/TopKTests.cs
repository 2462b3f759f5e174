namespace PoisonRange.Recommenders.Tests;

public sealed class TopKTests
{
    [Fact]
    public void Selects_best_first_with_ties_to_the_lower_id_and_skips_excluded()
    {
        float[] scores = [0.5f, 2f, 2f, float.NegativeInfinity, 1f, float.NaN, 3f, 2f];
        RecommenderExtensions.ExcludeItems(scores, [6, 100]);
        var top = new int[4];
        Assert.Equal(4, RecommenderExtensions.SelectTopK(scores, top));
        Assert.Equal([1, 2, 7, 4], top);

        var all = new int[10];
        Assert.Equal(5, RecommenderExtensions.SelectTopK(scores, all));
        Assert.Equal([1, 2, 7, 4, 0], all[..5]);
    }

    [Fact]
    public void Matches_a_full_sort_on_random_scores()
    {
        var rng = new Internal.DeterministicRandom(2);
        for (int trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, 300).Select(_ => (float)Math.Round(rng.NextGaussian(), 1)).ToArray();
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(10).ToArray();
            var top = new int[10];
            RecommenderExtensions.SelectTopK(scores, top);
            Assert.Equal(expected, top);
        }
    }
}
