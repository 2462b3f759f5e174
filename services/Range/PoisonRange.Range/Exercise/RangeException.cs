namespace PoisonRange.Range.Exercise;

/// <summary>A failure the operator can act on; the CLI prints its message as one line.</summary>
public sealed class RangeException(string message, Exception? inner = null) : Exception(message, inner);
