using System.Globalization;
using System.Reflection;

namespace PoisonRange.Recommenders;

/// <summary>
/// Binds string hyper-parameters (from a scenario file or the command line) onto a model's options
/// record. Names match the record's public settable properties, ignoring case, '_' and '-'
/// ("batch_size", "batchSize" and "BatchSize" are the same). Values use the invariant culture.
/// The record validates each value as it is set; any failure becomes a
/// <see cref="HyperParameterException"/> naming the parameter, its value and the valid names.
/// </summary>
public static class OptionsBinder
{
    /// <summary>The hyper-parameter names of <typeparamref name="TOptions"/>, camelCase, without the excluded ones.</summary>
    public static IReadOnlyList<string> NamesOf<TOptions>(params string[] excluded) where TOptions : class
        => Properties(typeof(TOptions), excluded).Select(p => CamelCase(p.Name)).ToArray();

    /// <summary>
    /// Returns a copy of <paramref name="defaults"/> with the given hyper-parameters applied.
    /// Properties named in <paramref name="excluded"/> (such as Seed and Threads, which the factory
    /// passes separately) are not accepted as hyper-parameters.
    /// </summary>
    public static TOptions Bind<TOptions>(string kind, TOptions defaults, IReadOnlyDictionary<string, string>? hyperParameters, params string[] excluded)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var properties = Properties(typeof(TOptions), excluded);
        var validNames = properties.Select(p => CamelCase(p.Name)).ToArray();
        if (hyperParameters is null || hyperParameters.Count == 0) return defaults;

        var byName = properties.ToDictionary(p => Normalize(p.Name), StringComparer.Ordinal);
        var unknown = hyperParameters.Keys.Where(k => !byName.ContainsKey(Normalize(k))).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
            throw new HyperParameterException(kind, unknown, validNames,
                $"Unknown hyper-parameter{(unknown.Length > 1 ? "s" : "")} for '{kind}': {string.Join(", ", unknown.Select(n => $"'{n}'"))}. " +
                $"Valid names: {(validNames.Length == 0 ? "(none)" : string.Join(", ", validNames))}.");

        var duplicates = hyperParameters.Keys.GroupBy(Normalize).Where(g => g.Count() > 1).SelectMany(g => g).ToArray();
        if (duplicates.Length > 0)
            throw new HyperParameterException(kind, duplicates, validNames,
                $"Hyper-parameters {string.Join(", ", duplicates.Select(n => $"'{n}'"))} for '{kind}' name the same setting.");

        // Records expose a copy constructor through their compiler-generated Clone method.
        var clone = typeof(TOptions).GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance)
            ?? throw new InvalidOperationException($"{typeof(TOptions).Name} must be a record class.");
        var result = (TOptions)clone.Invoke(defaults, null)!;
        foreach (var (name, text) in hyperParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var property = byName[Normalize(name)];
            object value;
            try
            {
                value = Parse(property.PropertyType, text);
            }
            catch (FormatException e)
            {
                throw new HyperParameterException(kind, [name], validNames,
                    $"Hyper-parameter '{name}' of '{kind}' has the malformed value '{text}': {e.Message} Valid names: {string.Join(", ", validNames)}.", e);
            }
            try
            {
                property.SetValue(result, value);
            }
            catch (TargetInvocationException e) when (e.InnerException is ArgumentException inner)
            {
                throw new HyperParameterException(kind, [name], validNames,
                    $"Hyper-parameter '{name}' of '{kind}' has the invalid value '{text}': {FirstLine(inner.Message)}", inner);
            }
        }
        return result;
    }

    /// <summary>The options' hyper-parameters as invariant strings (for checkpoints and reports).</summary>
    public static Dictionary<string, string> ToDictionary<TOptions>(TOptions options, params string[] excluded) where TOptions : class
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in Properties(typeof(TOptions), excluded))
            result[CamelCase(property.Name)] = Format(property.GetValue(options));
        return result;
    }

    private static PropertyInfo[] Properties(Type type, string[] excluded)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Where(p => !excluded.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
            .ToArray();
        return properties.OrderBy(p => DeclarationOrder(type, properties, p)).ToArray();
    }

    /// <summary>
    /// The order in which the record documents its settings: that of its <c>Defaults</c> constants
    /// when they name every setting (a record whose shared settings live in a base record lists them
    /// there in their own place), else the order of declaration.
    /// </summary>
    private static int DeclarationOrder(Type type, PropertyInfo[] properties, PropertyInfo property)
    {
        var defaults = type.GetNestedType("Defaults", BindingFlags.Public);
        var fields = defaults?.GetFields(BindingFlags.Public | BindingFlags.Static);
        if (fields is not null && properties.All(p => fields.Any(f => f.Name == p.Name)))
            return fields.Single(f => f.Name == property.Name).MetadataToken;
        return property.MetadataToken;
    }

    private static object Parse(Type type, string text)
    {
        text = text.Trim();
        var inv = CultureInfo.InvariantCulture;
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, inv, out var i) ? i : throw new FormatException("expected an integer.");
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, inv, out var l) ? l : throw new FormatException("expected an integer.");
        if (type == typeof(ulong))
            return ulong.TryParse(text, NumberStyles.Integer, inv, out var u) ? u : throw new FormatException("expected a non-negative integer.");
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float, inv, out var d) ? d : throw new FormatException("expected a number.");
        if (type == typeof(float))
            return float.TryParse(text, NumberStyles.Float, inv, out var f) ? f : throw new FormatException("expected a number.");
        if (type == typeof(bool))
            return text.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new FormatException("expected true or false."),
            };
        if (type.IsEnum)
        {
            foreach (var name in Enum.GetNames(type))
                if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
                    return Enum.Parse(type, name);
            throw new FormatException($"expected one of {string.Join(", ", Enum.GetNames(type))}.");
        }
        if (type == typeof(string)) return text;
        throw new NotSupportedException($"Options of type {type.Name} cannot be bound from strings.");
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Normalize(string name) => name.Replace("_", "").Replace("-", "").ToLowerInvariant();

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static string FirstLine(string message)
    {
        int i = message.IndexOf(Environment.NewLine, StringComparison.Ordinal);
        return i < 0 ? message : message[..i];
    }
}
