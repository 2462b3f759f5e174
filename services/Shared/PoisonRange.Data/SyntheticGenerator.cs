namespace PoisonRange.Data;

/// <summary>Parameters of <see cref="SyntheticGenerator"/>. The defaults give a small dataset that generates in milliseconds.</summary>
public sealed record SyntheticOptions
{
    public int Users { get; init; } = 1000;
    public int Items { get; init; } = 500;

    /// <summary>Dimension of the latent user and item factors.</summary>
    public int Rank { get; init; } = 16;

    /// <summary>Mean sequence length (lengths are MinLength plus an exponential tail, capped by MaxLength).</summary>
    public double MeanLength { get; init; } = 40;

    public int MinLength { get; init; } = 8;

    /// <summary>Longest sequence; 0 means min(Items, 5 × MeanLength).</summary>
    public int MaxLength { get; init; }

    /// <summary>
    /// Strength of item popularity: the item of popularity rank r (0-based) gets a logit bias of
    /// −PopularitySkew × ln(1 + r), a Zipf-like prior. 0 disables it.
    /// </summary>
    public double PopularitySkew { get; init; } = 1.0;

    /// <summary>Scale of the user–item affinity (the normalised dot product of the factors, standard deviation 1) in the logits.</summary>
    public double PreferenceStrength { get; init; } = 3.0;

    /// <summary>
    /// Probability that the next item follows from the previous one: it is then drawn from the
    /// previous item's successors (weighted by the user's preference) instead of from the user's
    /// general preference. 0 gives order-free data.
    /// </summary>
    public double SequentialStrength { get; init; } = 0.5;

    /// <summary>Number of successor items each item leads to.</summary>
    public int Successors { get; init; } = 8;

    public ulong Seed { get; init; } = 42;

    /// <summary>Emit strictly increasing timestamps (Unix ms) per user.</summary>
    public bool WithTimestamps { get; init; } = true;

    /// <summary>Emit 1–5 ratings that follow the user–item affinity.</summary>
    public bool WithRatings { get; init; }

    /// <summary>Earliest possible start of a user's activity (Unix ms); default 2020-01-01T00:00Z.</summary>
    public long StartTimeMs { get; init; } = 1_577_836_800_000;

    public string Name { get; init; } = "synthetic";

    /// <summary>Throws <see cref="ArgumentException"/> for inconsistent values.</summary>
    public void Validate()
    {
        if (Users < 1) throw new ArgumentException($"Users must be at least 1 (got {Users}).");
        if (Items < 2) throw new ArgumentException($"Items must be at least 2 (got {Items}).");
        if (Rank < 1) throw new ArgumentException($"Rank must be at least 1 (got {Rank}).");
        if (MinLength < 1) throw new ArgumentException($"MinLength must be at least 1 (got {MinLength}).");
        if (MinLength > Items) throw new ArgumentException($"MinLength ({MinLength}) cannot exceed Items ({Items}): items do not repeat within a user.");
        if (!(MeanLength >= MinLength)) throw new ArgumentException($"MeanLength ({MeanLength}) must be at least MinLength ({MinLength}).");
        if (MaxLength != 0 && (MaxLength < MinLength || MaxLength > Items))
            throw new ArgumentException($"MaxLength ({MaxLength}) must be 0 or between MinLength ({MinLength}) and Items ({Items}).");
        if (!(PopularitySkew >= 0)) throw new ArgumentException($"PopularitySkew must be non-negative (got {PopularitySkew}).");
        if (!(PreferenceStrength >= 0)) throw new ArgumentException($"PreferenceStrength must be non-negative (got {PreferenceStrength}).");
        if (!(SequentialStrength >= 0 && SequentialStrength <= 1)) throw new ArgumentException($"SequentialStrength must be in [0, 1] (got {SequentialStrength}).");
        if (Successors < 1 || Successors >= Items) throw new ArgumentException($"Successors must be in 1..Items-1 (got {Successors}).");
    }

    internal int EffectiveMaxLength => MaxLength != 0 ? MaxLength : (int)Math.Max(MinLength, Math.Min(Items, Math.Round(5 * MeanLength)));
}

/// <summary>A generated dataset together with the hidden structure it was drawn from.</summary>
public sealed record SyntheticResult(
    InteractionDataset Dataset,
    float[][] UserFactors,
    float[][] ItemFactors,
    float[] ItemBias,
    int[][] Successors);

/// <summary>
/// Generates a seeded, learnable interaction dataset. Each user u has latent factors p_u and
/// each item i factors q_i and a popularity bias b_i; the user's logit for i is
/// PreferenceStrength · p_u·q_i/√Rank + b_i. Each item has a fixed list of successor items.
/// A sequence starts from the user's preference; every next item is, with probability
/// SequentialStrength, one of the previous item's unseen successors (chosen by the user's
/// logits), otherwise the next unseen item of a Plackett–Luce (Gumbel top-k) draw from the
/// user's logits. Items never repeat within a user. External ids are "u1".."uN", "i1".."iM"
/// and the internal ids follow them.
/// </summary>
public static class SyntheticGenerator
{
    public static InteractionDataset Generate(SyntheticOptions? options = null) => GenerateDetailed(options).Dataset;

    public static SyntheticResult GenerateDetailed(SyntheticOptions? options = null)
    {
        var o = options ?? new SyntheticOptions();
        o.Validate();
        var rng = new SeededRandom(o.Seed);
        // Separate streams, so the sequences do not depend on whether timestamps or ratings are generated.
        var timeRng = SeededRandom.Derive(o.Seed, 1);
        var ratingRng = SeededRandom.Derive(o.Seed, 2);
        int users = o.Users, items = o.Items, rank = o.Rank;
        double scale = o.PreferenceStrength / Math.Sqrt(rank);

        var userFactors = RandomMatrix(rng, users, rank);
        var itemFactors = RandomMatrix(rng, items, rank);
        var bias = new float[items];
        var popularityOrder = rng.Permutation(items);
        for (int r = 0; r < items; r++) bias[popularityOrder[r]] = (float)(-o.PopularitySkew * Math.Log(1 + r));

        var successors = new int[items][];
        for (int i = 0; i < items; i++)
        {
            var list = new int[o.Successors];
            int n = 0;
            while (n < list.Length)
            {
                int j = rng.Next(items);
                if (j != i && Array.IndexOf(list, j, 0, n) < 0) list[n++] = j;
            }
            successors[i] = list;
        }

        int maxLength = o.EffectiveMaxLength;
        var sequences = new int[users][];
        var times = o.WithTimestamps ? new long[users][] : null;
        var ratings = o.WithRatings ? new float[users][] : null;
        var logits = new double[items];
        var keys = new double[items];
        var seen = new bool[items];
        var weights = new double[o.Successors];
        const long year = 365L * 24 * 3600 * 1000;

        for (int u = 0; u < users; u++)
        {
            int length = (int)Math.Min(maxLength, o.MinLength + Math.Round(rng.NextExponential(Math.Max(1e-9, o.MeanLength - o.MinLength))));
            length = Math.Max(o.MinLength, length);
            var pu = userFactors[u];
            for (int i = 0; i < items; i++)
            {
                logits[i] = scale * Dot(pu, itemFactors[i]) + bias[i];
                // Gumbel noise turns sorting by key into sampling without replacement from softmax(logits).
                double uniform;
                do uniform = rng.NextDouble(); while (uniform <= 0);
                keys[i] = logits[i] - Math.Log(-Math.Log(uniform));
            }
            // Each step consumes at most one stream item and skips at most one per used item.
            var stream = TopK.Select(keys, Math.Min(items, 2 * length + 1));
            int streamPos = 0;

            var seq = new int[length];
            for (int t = 0; t < length; t++)
            {
                int next = -1;
                if (t > 0 && o.SequentialStrength > 0 && rng.NextDouble() < o.SequentialStrength)
                {
                    var succ = successors[seq[t - 1]];
                    double max = double.NegativeInfinity;
                    foreach (var j in succ) if (!seen[j]) max = Math.Max(max, logits[j]);
                    if (!double.IsNegativeInfinity(max))
                    {
                        for (int s = 0; s < succ.Length; s++) weights[s] = seen[succ[s]] ? 0 : Math.Exp(logits[succ[s]] - max);
                        next = succ[rng.NextWeighted(weights)];
                    }
                }
                if (next < 0)
                {
                    while (streamPos < stream.Length && seen[stream[streamPos]]) streamPos++;
                    next = streamPos < stream.Length ? stream[streamPos++] : FirstUnseen(seen);
                }
                seq[t] = next;
                seen[next] = true;
            }
            foreach (var i in seq) seen[i] = false;
            sequences[u] = seq;

            if (times is not null)
            {
                var ts = new long[length];
                long clock = o.StartTimeMs + timeRng.NextInt64(year);
                for (int t = 0; t < length; t++)
                {
                    clock += 60_000 + (long)timeRng.NextExponential(6 * 3600 * 1000.0);
                    ts[t] = clock;
                }
                times[u] = ts;
            }
            if (ratings is not null)
            {
                var rs = new float[length];
                for (int t = 0; t < length; t++)
                {
                    double affinity = Dot(pu, itemFactors[seq[t]]) / Math.Sqrt(rank);
                    rs[t] = (float)Math.Clamp(Math.Round(3.5 + 1.2 * affinity + 0.5 * ratingRng.NextGaussian()), 1, 5);
                }
                ratings[u] = rs;
            }
        }

        var userIds = new string[users];
        for (int u = 0; u < users; u++) userIds[u] = "u" + (u + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var itemIds = new string[items];
        for (int i = 0; i < items; i++) itemIds[i] = "i" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dataset = new InteractionDataset(o.Name, userIds, itemIds, sequences, times, ratings);
        return new SyntheticResult(dataset, userFactors, itemFactors, bias, successors);
    }

    private static float[][] RandomMatrix(SeededRandom rng, int rows, int cols)
    {
        var m = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            var row = new float[cols];
            for (int c = 0; c < cols; c++) row[c] = (float)rng.NextGaussian();
            m[r] = row;
        }
        return m;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static int FirstUnseen(bool[] seen)
    {
        int i = Array.IndexOf(seen, false);
        return i >= 0 ? i : throw new InvalidOperationException("No unseen item left.");
    }
}
