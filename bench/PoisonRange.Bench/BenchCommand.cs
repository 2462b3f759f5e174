using System.Globalization;

namespace PoisonRange.Bench;

/// <summary>A named benchmark: a one-line description and a handler returning the exit code.</summary>
internal sealed record BenchCommand(string Description, Func<BenchArguments, int> Run);

/// <summary><c>--name value</c> pairs after the command name.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    private BenchArguments(Dictionary<string, string> values) => _values = values;

    public static BenchArguments Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' pairs, got '{args[i]}'.");
            values[args[i][2..]] = args[++i];
        }
        return new BenchArguments(values);
    }

    public string String(string name, string fallback)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback;
    }

    public double Double(string name, double fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var v)) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw new ArgumentException($"--{name} expects a number, got '{v}'.");
    }

    public int Int(string name, int fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var v)) return fallback;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new ArgumentException($"--{name} expects an integer, got '{v}'.");
    }

    /// <summary>The options not read by the command, which are rejected.</summary>
    public void ThrowIfUnused()
    {
        var unused = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unused.Length > 0)
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", unused.Select(u => "--" + u))}. Known: {string.Join(", ", _used.Select(u => "--" + u))}.");
    }

    /// <summary>Hyper-parameters for the factory from the usual options, when given.</summary>
    public Dictionary<string, string> HyperParameters(params string[] names)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            _used.Add(name);
            if (_values.TryGetValue(name, out var v)) result[name] = v;
        }
        return result;
    }
}
