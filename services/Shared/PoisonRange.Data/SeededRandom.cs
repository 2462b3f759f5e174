using System.Numerics;

namespace PoisonRange.Data;

/// <summary>
/// How <see cref="SeededRandom"/> turns its 64-bit outputs into integers below a bound (Lemire's
/// multiply-and-reject method either way, free of modulo bias). The two give different streams
/// from one seed; each component keeps the one its recorded results were produced with.
/// </summary>
public enum BoundedIntegers
{
    /// <summary>The upper 32 bits of each output times the bound (datasets, splits, attacks).</summary>
    Upper32Bits,

    /// <summary>The full 64-bit output times the bound, as a 128-bit product (the model zoo's training streams).</summary>
    Full64Bits,
}

/// <summary>
/// A small, fast, seeded pseudo-random generator (xoshiro256** seeded through SplitMix64).
/// Results depend only on the seed, never on the runtime's <see cref="System.Random"/>
/// implementation, so experiments are reproducible across .NET versions and machines.
/// Not thread-safe: give each thread its own instance (see <see cref="Derive"/>).
/// <see cref="BoundedIntegers"/> selects how integers below a bound are drawn (<see cref="Next(int)"/>,
/// <see cref="Shuffle{T}(Span{T})"/>, <see cref="Permutation"/>, <see cref="SampleWithoutReplacement"/>);
/// every other draw is the same under both.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpareGaussian;
    private readonly bool _full64;

    /// <param name="seed">The seed; the state is four SplitMix64 outputs from it.</param>
    /// <param name="boundedIntegers">How integers below a bound are drawn (see <see cref="BoundedIntegers"/>).</param>
    public SeededRandom(ulong seed, BoundedIntegers boundedIntegers = BoundedIntegers.Upper32Bits)
    {
        _full64 = boundedIntegers switch
        {
            BoundedIntegers.Upper32Bits => false,
            BoundedIntegers.Full64Bits => true,
            _ => throw new ArgumentOutOfRangeException(nameof(boundedIntegers), boundedIntegers, $"Unknown bounded-integer method {boundedIntegers}."),
        };
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        // The state must not be all zero; SplitMix64 makes that practically impossible, but be safe.
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 0x9E3779B97F4A7C15UL;
    }

    /// <summary>The seed this generator was created with.</summary>
    public ulong Seed { get; }

    /// <summary>How this generator draws integers below a bound.</summary>
    public BoundedIntegers BoundedIntegers => _full64 ? BoundedIntegers.Full64Bits : BoundedIntegers.Upper32Bits;

    /// <summary>
    /// A generator for an independent stream derived from <paramref name="seed"/> and
    /// <paramref name="stream"/> (e.g. one stream per user or per worker), stable across runs.
    /// </summary>
    public static SeededRandom Derive(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL);
        return new SeededRandom(SplitMix64(ref x));
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns a well-mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>64 uniformly random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)NextBounded((uint)maxExclusive);
    }

    /// <summary>A uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"maxExclusive ({maxExclusive}) must be greater than minInclusive ({minInclusive}).");
        return (int)(minInclusive + (long)NextBounded((uint)((long)maxExclusive - minInclusive)));
    }

    /// <summary>A uniform 64-bit integer in [0, <paramref name="maxExclusive"/>) (the full 64-bit method whatever <see cref="BoundedIntegers"/> says).</summary>
    public long NextInt64(long maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (long)NextBounded64((ulong)maxExclusive);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool NextBool(double probability = 0.5) => NextDouble() < probability;

    /// <summary>A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpareGaussian)
        {
            _hasSpareGaussian = false;
            return _spareGaussian;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        _spareGaussian = radius * Math.Sin(angle);
        _hasSpareGaussian = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>A normal sample with the given mean and standard deviation.</summary>
    public double NextGaussian(double mean, double standardDeviation) => mean + standardDeviation * NextGaussian();

    /// <summary>An exponential sample with the given mean.</summary>
    public double NextExponential(double mean)
    {
        double u;
        do u = NextDouble(); while (u <= double.Epsilon);
        return -Math.Log(u) * mean;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextBounded((uint)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Shuffle(items.AsSpan());
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)NextBounded((uint)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..<paramref name="count"/>-1.</summary>
    public int[] Permutation(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var p = new int[count];
        for (int i = 0; i < count; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices drawn uniformly from 0..<paramref name="population"/>-1,
    /// returned in ascending order.
    /// </summary>
    public int[] SampleWithoutReplacement(int population, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(population);
        if ((uint)count > (uint)population)
            throw new ArgumentOutOfRangeException(nameof(count), $"Cannot draw {count} of {population}.");
        var result = new int[count];
        int selected = 0;
        for (int i = 0; i < population && selected < count; i++)
        {
            // Selection sampling: keep item i with probability (still needed) / (still available).
            if (NextBounded((uint)(population - i)) < (uint)(count - selected))
                result[selected++] = i;
        }
        return result;
    }

    /// <summary>An index drawn with probability proportional to the non-negative <paramref name="weights"/>.</summary>
    public int NextWeighted(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0)) throw new ArgumentException("Weights must be non-negative numbers.", nameof(weights));
            total += w;
        }
        if (!(total > 0)) throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        double r = NextDouble() * total;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            r -= weights[i];
            if (r < 0) return i;
        }
        return last;
    }

    private uint NextBounded(uint bound) => _full64 ? (uint)NextBounded64(bound) : NextBounded32(bound);

    // Lemire's nearly divisionless bounded integer over the full output: the upper 64 bits of
    // output × bound, redrawn while the lower 64 bits fall below 2^64 mod bound.
    private ulong NextBounded64(ulong bound)
    {
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return high;
    }

    // The same over the upper 32 bits of the output.
    private uint NextBounded32(uint bound)
    {
        ulong m = (NextUInt64() >> 32) * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                m = (NextUInt64() >> 32) * bound;
                low = (uint)m;
            }
        }
        return (uint)(m >> 32);
    }
}
