namespace PoisonRange.Recommenders;

/// <summary>
/// A hyper-parameter given to <see cref="RecommenderFactory"/> has an unknown name or a value that
/// does not parse or is out of range. The message names the offending parameters and lists the
/// valid names of the kind.
/// </summary>
public sealed class HyperParameterException : ArgumentException
{
    public HyperParameterException(string kind, IReadOnlyList<string> names, IReadOnlyList<string> validNames, string message, Exception? inner = null)
        : base(message, "hyperParameters", inner)
    {
        Kind = kind;
        Names = names;
        ValidNames = validNames;
    }

    /// <summary>The model kind the hyper-parameters were meant for.</summary>
    public string Kind { get; }

    /// <summary>The offending hyper-parameter names, as the caller spelled them.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The names the kind accepts.</summary>
    public IReadOnlyList<string> ValidNames { get; }
}

/// <summary>The factory was asked for a model kind that is not registered.</summary>
public sealed class UnknownRecommenderKindException : ArgumentException
{
    public UnknownRecommenderKindException(string kind, IReadOnlyList<string> knownKinds)
        : base($"Unknown recommender kind '{kind}'. Known kinds: {string.Join(", ", knownKinds)}.", "kind")
    {
        Kind = kind;
        KnownKinds = knownKinds;
    }

    public string Kind { get; }
    public IReadOnlyList<string> KnownKinds { get; }
}
