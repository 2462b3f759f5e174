using System.Globalization;

namespace PoisonRange.Recommenders;

/// <summary>
/// Range checks for the options records of every model family; each throws an
/// <see cref="ArgumentOutOfRangeException"/> whose one-line message names the record, the option
/// and the bad value (the factory's binder turns it into a <see cref="HyperParameterException"/>).
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

    /// <summary>A probability in [0, 1) (a dropout rate, say).</summary>
    public static double Fraction(double value, string record, string name)
        => double.IsFinite(value) && value >= 0 && value < 1
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be at least 0 and below 1; got {value}.");

    /// <summary>A named member of <typeparamref name="TEnum"/>.</summary>
    public static TEnum Defined<TEnum>(TEnum value, string record, string name) where TEnum : struct, Enum
        => Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{record}.{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>())}; got {value}.");

    /// <summary>Parses a comma-separated list of layer widths ("128" or "64,32"), each in 1..<paramref name="maxWidth"/>.</summary>
    public static int[] LayerList(string? value, int minCount, int maxCount, int maxWidth, string record, string name)
    {
        var parts = (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var widths = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out widths[k])
                || widths[k] < 1 || widths[k] > maxWidth)
                throw new ArgumentOutOfRangeException(name, value,
                    $"{record}.{name} must be a comma-separated list of layer widths between 1 and {maxWidth}; got '{value}'.");
        if (widths.Length < minCount || widths.Length > maxCount)
            throw new ArgumentOutOfRangeException(name, value,
                $"{record}.{name} must list between {minCount} and {maxCount} layer widths; got '{value}'.");
        return widths;
    }
}
