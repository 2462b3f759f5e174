using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// The hyper-parameters both WRMF trainers share (<see cref="WrmfOptions"/> by ALS,
/// <see cref="WrmfSgdOptions"/> by Adam): the objective Σ w_ui (r_ui − p_u·q_i)² + λ(‖P‖² + ‖Q‖²)
/// of Tang et al. 2020 §3 (latent dimension, observed-cell weight w, λ), the initialisation, the
/// seed and the thread count. Each record passes its own defaults; every value is checked when it
/// is set, and an error names the concrete record (<c>WrmfOptions.L2 must be …</c>).
/// </summary>
public abstract record WeightedMfOptions : TrainedModelOptions
{
    private readonly int _factors;
    private readonly double _positiveWeight;
    private readonly double _l2;
    private readonly double _initStd;

    private protected WeightedMfOptions(int factors, double positiveWeight, double l2, double initStd, ulong seed, int threads)
        : base(seed, threads)
    {
        _factors = factors;
        _positiveWeight = positiveWeight;
        _l2 = l2;
        _initStd = initStd;
    }

    /// <summary>Latent dimension d (1..1024).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 1024, Record, nameof(Factors));
    }

    /// <summary>Confidence w of an observed cell (Hu et al.'s c = 1 + α with α = w − 1); missing cells weigh 1 (1 ≤ value ≤ 1e6).</summary>
    public double PositiveWeight
    {
        get => _positiveWeight;
        init => _positiveWeight = value >= 1 && value <= 1e6 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PositiveWeight), value, $"{Record}.{nameof(PositiveWeight)} must be between 1 and 1000000; got {value}.");
    }

    /// <summary>λ of the penalty λ(‖P‖² + ‖Q‖²) (0 &lt; value ≤ 1e6).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.Positive(value, 1e6, Record, nameof(L2));
    }

    /// <summary>Standard deviation of the normal initialisation of the user and item vectors (0 &lt; value ≤ 10).</summary>
    public double InitStd
    {
        get => _initStd;
        init => _initStd = OptionChecks.Positive(value, 10, Record, nameof(InitStd));
    }
}
