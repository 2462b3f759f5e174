using PoisonRange.Data;

namespace PoisonRange.Recommenders.Tests;

/// <summary>
/// Small synthetic data with a planted sequential pattern: the items form one hidden cycle, and at
/// every step a user either moves to the successor of their current item or jumps to a random
/// item, never revisiting one. The held-out item is the successor of the last training item, so
/// only the order of the history predicts it: the item sets alone show which items neighbour each
/// other on the cycle, but not which end of which stretch the user stopped at. Popularity is flat.
/// </summary>
internal sealed class SuccessorData
{
    public required InteractionDataset Train { get; init; }
    public required int[] HeldOut { get; init; }
    public required int[] Successor { get; init; }

    public static SuccessorData Create(int users = 300, int items = 100, int length = 15, double follow = 0.5, ulong seed = 3)
    {
        var rng = new SeededRandom(seed, BoundedIntegers.Full64Bits);
        var cycle = Enumerable.Range(0, items).ToArray();
        rng.Shuffle(cycle.AsSpan());
        var successor = new int[items];
        for (int k = 0; k < items; k++) successor[cycle[k]] = cycle[(k + 1) % items];

        var sequences = new int[users][];
        var heldOut = new int[users];
        for (int u = 0; u < users; u++)
        {
            var sequence = Walk(rng, successor, length + 1, follow);
            sequences[u] = sequence[..^1];
            heldOut[u] = sequence[^1];
        }
        var train = new InteractionDataset(
            "successors",
            Enumerable.Range(0, users).Select(u => $"u{u}").ToArray(),
            Enumerable.Range(0, items).Select(i => $"i{i}").ToArray(),
            sequences, null, null);
        return new SuccessorData { Train = train, HeldOut = heldOut, Successor = successor };
    }

    /// <summary>A fresh walk of <paramref name="length"/> items whose last step follows the cycle, as in training.</summary>
    public int[] NewWalk(int length, ulong seed) => Walk(new SeededRandom(seed, BoundedIntegers.Full64Bits), Successor, length, follow: 0.5);

    private static int[] Walk(SeededRandom rng, int[] successor, int length, double follow)
    {
        int items = successor.Length;
        while (true)
        {
            var visited = new bool[items];
            var walk = new int[length];
            walk[0] = rng.Next(items);
            visited[walk[0]] = true;
            for (int t = 1; t < length; t++)
            {
                int next = successor[walk[t - 1]];
                // The last step always follows the cycle: it is the one a model must predict.
                if (visited[next] || (t < length - 1 && rng.NextDouble() >= follow))
                {
                    if (t == length - 1) break;
                    do next = rng.Next(items); while (visited[next]);
                }
                walk[t] = next;
                visited[next] = true;
                if (t == length - 1) return walk;
            }
        }
    }

    /// <summary>HR@10 on the held-out items, seen items excluded.</summary>
    public double HitRatio(IRecommender model)
    {
        var scores = new float[model.ItemCount];
        Span<int> top = stackalloc int[10];
        int hits = 0;
        for (int u = 0; u < Train.UserCount; u++)
        {
            model.ScoreUser(u, scores);
            RecommenderExtensions.ExcludeItems(scores, Train.Sequences[u]);
            int n = TopK.SelectInto(scores, top);
            if (top[..n].Contains(HeldOut[u])) hits++;
        }
        return (double)hits / Train.UserCount;
    }
}
