using System.CommandLine;

namespace PoisonRange.Bench;

/// <summary>
/// A named benchmark: a one-line description, the options it reads (declared for the parser, so an
/// unknown option or a value of the wrong type is refused before anything runs) and a handler
/// returning the exit code. Defaults stay with the handler, which reads each option with its fallback.
/// </summary>
internal sealed record BenchCommand(string Name, string Description, Func<BenchArguments, int> Run, params BenchOption[] Options)
{
    public Command ToCommand()
    {
        var command = new Command(Name, Description);
        foreach (var o in Options) command.Add(o.Symbol);
        command.SetAction(r => Run(new BenchArguments(r, Options)));
        return command;
    }
}

/// <summary>One <c>--name value</c> option of a benchmark: text, a whole number or a number.</summary>
internal sealed class BenchOption
{
    private BenchOption(string name, Option symbol)
    {
        Name = name;
        Symbol = symbol;
    }

    public string Name { get; }
    public Option Symbol { get; }

    public static BenchOption Text(string name, string description = "") => new(name, new Option<string?>("--" + name) { Description = description });

    public static BenchOption Whole(string name, string description = "") => new(name, new Option<int?>("--" + name) { Description = description });

    public static BenchOption Number(string name, string description = "") => new(name, new Option<double?>("--" + name) { Description = description });

    /// <summary>The parser's message in plain words: "--threads: expected a whole number, got 'x'" instead of the CLR type name.</summary>
    public static string Explain(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, "^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'");
        if (!m.Success) return message.ReplaceLineEndings(" ").Trim();
        var kind = m.Groups["type"].Value.Contains("Int32", StringComparison.Ordinal) ? "a whole number" : "a number";
        return $"{m.Groups["option"].Value}: expected {kind}, got '{m.Groups["value"].Value}'";
    }
}

/// <summary>The parsed options of one benchmark, read by name with the handler's fallback.</summary>
internal sealed class BenchArguments
{
    private readonly ParseResult _parsed;
    private readonly Dictionary<string, BenchOption> _options;

    public BenchArguments(ParseResult parsed, IEnumerable<BenchOption> options)
    {
        _parsed = parsed;
        _options = options.ToDictionary(o => o.Name, StringComparer.Ordinal);
    }

    public string String(string name, string fallback) => _parsed.GetValue((Option<string?>)Declared(name)) ?? fallback;

    public int Int(string name, int fallback) => _parsed.GetValue((Option<int?>)Declared(name)) ?? fallback;

    public double Double(string name, double fallback)
    {
        var value = _parsed.GetValue((Option<double?>)Declared(name));
        if (value is { } d && !double.IsFinite(d)) throw new ArgumentException($"--{name} expects a finite number, got {d}.");
        return value ?? fallback;
    }

    /// <summary>Hyper-parameters for the factory from the given text options, when given.</summary>
    public Dictionary<string, string> HyperParameters(params string[] names)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
            if (_parsed.GetValue((Option<string?>)Declared(name)) is { } v) result[name] = v;
        return result;
    }

    private Option Declared(string name) =>
        _options.TryGetValue(name, out var o)
            ? o.Symbol
            : throw new InvalidOperationException($"The benchmark reads --{name} but does not declare it.");
}
