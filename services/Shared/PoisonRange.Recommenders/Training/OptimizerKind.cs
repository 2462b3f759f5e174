namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The update rule a <see cref="TorchOptimizer"/> applies. Options records bind it from the
/// hyper-parameter strings <c>adam</c> and <c>sgd</c> (case-insensitive).
/// </summary>
public enum OptimizerKind
{
    /// <summary>Adam (Kingma and Ba 2015) over all parameters.</summary>
    Adam,

    /// <summary>Plain mini-batch stochastic gradient descent.</summary>
    Sgd,
}
