using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The optimizer of every TorchSharp model in the range (the model zoo, influence refits and
/// LOKI's Q-network): Adam (Kingma and Ba 2015, Algorithm 1; β₁ = 0.9, β₂ = 0.999, ε = 1e-8, with
/// bias correction, ε added to the corrected √v̂ as in libtorch) or plain SGD, with optional L2
/// weight decay added to the gradient (as libtorch's Adam does, not decoupled as in AdamW) and an
/// optional step size that falls linearly over training (<see cref="LinearSchedule"/>). Every
/// scalar is passed explicitly (see <see cref="ScalarCache"/>). Deterministic for a fixed thread
/// count.
/// </summary>
public sealed class TorchOptimizer : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    private readonly Parameter[] _parameters;
    private readonly Tensor[]? _firstMoments;
    private readonly Tensor[]? _secondMoments;
    private readonly bool _adam;
    private double _learningRate;
    private readonly double _finalLearningRateFactor;
    private readonly long _plannedSteps;
    private readonly double _weightDecay;
    private readonly ScalarCache _scalars = new();
    private long _step;

    /// <param name="parameters">The parameters to update (their gradients are read at each <see cref="Step"/>).</param>
    /// <param name="kind">Adam or SGD.</param>
    /// <param name="learningRate">The step size (0 &lt; value, finite); with a schedule, its first value.</param>
    /// <param name="weightDecay">L2 coefficient λ added as λ·θ to each gradient (0 ≤ value, finite; 0 turns it off).</param>
    /// <param name="finalLearningRateFactor">With <paramref name="plannedSteps"/> &gt; 1, the step size falls
    /// linearly (<see cref="LinearSchedule"/>) from <see cref="LearningRate"/> at the first step to
    /// <see cref="LearningRate"/> × this at step <paramref name="plannedSteps"/>; 1 keeps it constant (0 &lt; value, finite).</param>
    /// <param name="plannedSteps">The number of <see cref="Step"/> calls the training will make (0 or 1: no schedule).</param>
    public TorchOptimizer(IEnumerable<Parameter> parameters, OptimizerKind kind, double learningRate, double weightDecay = 0,
        double finalLearningRateFactor = 1, long plannedSteps = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _adam = kind switch
        {
            OptimizerKind.Adam => true,
            OptimizerKind.Sgd => false,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown optimizer {kind}."),
        };
        LearningRate = learningRate;
        if (!(weightDecay >= 0 && double.IsFinite(weightDecay)))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"The weight decay must be non-negative and finite; got {weightDecay}.");
        if (!(finalLearningRateFactor > 0 && double.IsFinite(finalLearningRateFactor)))
            throw new ArgumentOutOfRangeException(nameof(finalLearningRateFactor), finalLearningRateFactor, $"The final learning-rate factor must be positive and finite; got {finalLearningRateFactor}.");
        ArgumentOutOfRangeException.ThrowIfNegative(plannedSteps);
        _parameters = parameters.ToArray();
        _finalLearningRateFactor = finalLearningRateFactor;
        _plannedSteps = plannedSteps;
        _weightDecay = weightDecay;
        if (_adam)
        {
            _firstMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _secondMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
    }

    /// <summary>The update rule.</summary>
    public OptimizerKind Kind => _adam ? OptimizerKind.Adam : OptimizerKind.Sgd;

    /// <summary>The step size the schedule starts from (the step size itself when it is constant); a change applies from the next <see cref="Step"/> (0 &lt; value, finite).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"The learning rate must be positive and finite; got {value}.");
    }

    /// <summary>
    /// A step size falling linearly over training: <paramref name="learningRate"/> at step 0,
    /// <paramref name="learningRate"/> × <paramref name="finalFactor"/> at the last of
    /// <paramref name="totalSteps"/> (a factor of 1 keeps it constant).
    /// </summary>
    public static double LinearSchedule(double learningRate, double finalFactor, long step, long totalSteps)
    {
        double progress = totalSteps <= 1 ? 0 : Math.Clamp((double)step / (totalSteps - 1), 0, 1);
        return learningRate * (1 - (1 - finalFactor) * progress);
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
        {
            using var gradient = parameter.grad;
            gradient?.zero_();
        }
    }

    /// <summary>
    /// One update from the current gradients. Adam (Kingma and Ba 2015, Algorithm 1):
    /// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε);
    /// SGD: θ ← θ − α g; with weight decay g is ∇ + λθ, and α is this step's scheduled rate.
    /// </summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _step++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, _step);
        double biasCorrection2 = 1 - Math.Pow(Beta2, _step);
        // Scalars that change every step live until the end of the step.
        using var inverseRootCorrection = (1 / Math.Sqrt(biasCorrection2)).ToScalar();
        double rate = LinearSchedule(_learningRate, _finalLearningRateFactor, _step - 1, _plannedSteps);
        using var adamStep = (-rate / biasCorrection1).ToScalar();
        // Not from the scalar cache: a schedule gives every step its own rate.
        using var sgdStep = (-rate).ToScalar();
        for (int k = 0; k < _parameters.Length; k++)
        {
            var parameter = _parameters[k];
            var gradient = parameter.grad;
            if (gradient is null) continue;
            if (_weightDecay > 0) gradient = gradient.add(parameter, _scalars[_weightDecay]);
            if (!_adam)
            {
                parameter.add_(gradient, sgdStep);
                continue;
            }
            var m = _firstMoments![k];
            var v = _secondMoments![k];
            m.mul_(_scalars[Beta1]).add_(gradient, _scalars[1 - Beta1]);
            v.mul_(_scalars[Beta2]).addcmul_(gradient, gradient, _scalars[1 - Beta2]);
            var denominator = v.sqrt().mul_(inverseRootCorrection).add_(_scalars[Epsilon], _scalars.One);
            parameter.addcdiv_(m, denominator, adamStep);
        }
    }

    public void Dispose()
    {
        foreach (var t in _firstMoments ?? []) t.Dispose();
        foreach (var t in _secondMoments ?? []) t.Dispose();
        _scalars.Dispose();
    }
}
