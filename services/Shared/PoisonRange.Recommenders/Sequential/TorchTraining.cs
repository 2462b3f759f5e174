using PoisonRange.Recommenders.Factorization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// TorchSharp scalars that stay alive as long as their owner. TorchSharp turns a number passed to
/// a tensor operation (<c>t * 0.5</c>, <c>a + b</c>'s implicit α = 1) into a native
/// <see cref="Scalar"/> that only the garbage collector frees; the runtime may finalise it while the
/// native call that received its handle still runs, which aborts the process at random under
/// allocation pressure. The sequential models' training code therefore passes every scalar
/// explicitly from one of these caches and disposes them with the network or optimizer.
/// </summary>
internal sealed class ScalarCache : IDisposable
{
    private readonly Dictionary<double, Scalar> _scalars = [];

    public Scalar this[double value]
    {
        get
        {
            if (!_scalars.TryGetValue(value, out var scalar))
            {
                scalar = value.ToScalar();
                _scalars[value] = scalar;
            }
            return scalar;
        }
    }

    public Scalar One => this[1.0];
    public Scalar MinusOne => this[-1.0];

    public void Dispose()
    {
        foreach (var scalar in _scalars.Values) scalar.Dispose();
        _scalars.Clear();
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015; β = 0.9, 0.999, ε = 1e-8, L2 weight decay added to the gradient as in
/// libtorch's Adam) or plain SGD over a set of parameters, written with explicit scalars (see
/// <see cref="ScalarCache"/>). Deterministic for a fixed thread count.
/// </summary>
internal sealed class SequentialOptimizer : IDisposable
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

    /// <param name="finalLearningRateFactor">With <paramref name="plannedSteps"/> &gt; 1, the step size falls
    /// linearly (<see cref="LinearSchedule"/>) from <see cref="LearningRate"/> at the first step to
    /// <see cref="LearningRate"/> × this at step <paramref name="plannedSteps"/>; 1 keeps it constant.</param>
    /// <param name="plannedSteps">The number of <see cref="Step"/> calls the training will make.</param>
    public SequentialOptimizer(IEnumerable<Parameter> parameters, BprOptimizer rule, double learningRate, double weightDecay = 0,
        double finalLearningRateFactor = 1, long plannedSteps = 0)
    {
        _parameters = parameters.ToArray();
        _adam = rule switch
        {
            BprOptimizer.Adam => true,
            BprOptimizer.Sgd => false,
            _ => throw new InvalidOperationException($"Unknown optimizer {rule}."),
        };
        _learningRate = learningRate;
        _finalLearningRateFactor = finalLearningRateFactor;
        _plannedSteps = plannedSteps;
        _weightDecay = weightDecay;
        if (_adam)
        {
            _firstMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _secondMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
    }

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

    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
        {
            using var gradient = parameter.grad;
            gradient?.zero_();
        }
    }

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
