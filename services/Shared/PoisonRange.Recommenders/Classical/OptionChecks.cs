namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Range checks for the options records of this folder; each throws an
/// <see cref="ArgumentOutOfRangeException"/> naming the record, the option and the bad value
/// (the factory's binder turns it into a <see cref="HyperParameterException"/>).
/// </summary>
internal static class OptionChecks
{
    public static int Range(int value, int min, int max, string record, string name)
        => value >= min && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be between {min} and {max}; got {value}.");

    public static double Positive(double value, double max, string record, string name)
        => double.IsFinite(value) && value > 0 && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be greater than 0 and at most {max}; got {value}.");

    public static double NonNegative(double value, double max, string record, string name)
        => double.IsFinite(value) && value >= 0 && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be between 0 and {max}; got {value}.");

    public static double Open01(double value, string record, string name)
        => double.IsFinite(value) && value > 0 && value < 1
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be strictly between 0 and 1; got {value}.");
}
