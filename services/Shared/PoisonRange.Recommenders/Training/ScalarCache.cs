using TorchSharp;

namespace PoisonRange.Recommenders.Training;

/// <summary>
/// TorchSharp scalars that stay alive as long as their owner. TorchSharp turns a number passed to
/// a tensor operation (<c>t * 0.5</c>, <c>a + b</c>'s implicit α = 1) into a native
/// <see cref="Scalar"/> that only the garbage collector frees; the runtime may finalise it while the
/// native call that received its handle still runs, which aborts the process at random under
/// allocation pressure. Training code (the model zoo, the influence models, LOKI's Q-network)
/// therefore passes every constant scalar explicitly from one of these caches and disposes it
/// with the network or optimizer that owns it. Not thread-safe: one cache per owner.
/// </summary>
public sealed class ScalarCache : IDisposable
{
    private readonly Dictionary<double, Scalar> _scalars = [];

    /// <summary>The cached scalar for <paramref name="value"/>, created on first use.</summary>
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

    /// <summary>The scalar 1 (the α of a plain addition).</summary>
    public Scalar One => this[1.0];

    /// <summary>The scalar −1 (the α of a subtraction).</summary>
    public Scalar MinusOne => this[-1.0];

    public void Dispose()
    {
        foreach (var scalar in _scalars.Values) scalar.Dispose();
        _scalars.Clear();
    }
}
