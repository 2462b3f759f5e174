using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PoisonRange.Range.Scenarios;

/// <summary>A scenario as read from a file, with the line of every field for error messages.</summary>
public sealed record LoadedScenario(RangeScenario Scenario, string? File, IReadOnlyDictionary<string, int> Lines)
{
    /// <summary>"file:line" of a field path (or of its closest parent present in the file), or null.</summary>
    public string? Locate(string path)
    {
        if (File is null) return null;
        for (var p = path; p.Length > 0; p = Parent(p))
            if (Lines.TryGetValue(p, out var line))
                return $"{File}:{line}";
        return File;
    }

    private static string Parent(string path)
    {
        int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}

/// <summary>
/// Reads scenario files. JSON (comments and trailing commas allowed) and YAML are both turned
/// into one JSON tree plus a map from field path ("targets.items", "attacks[1]") to line, then
/// bound with System.Text.Json, so both formats share names, types and error messages.
/// </summary>
public static class ScenarioFile
{
    public static readonly JsonSerializerOptions JsonOptions = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            PropertyNameCaseInsensitive = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new LenientStringConverter());
        return options;
    }

    /// <summary>Loads and binds a scenario file; throws <see cref="ScenarioException"/> with file:line on any error.</summary>
    public static LoadedScenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException($"cannot read scenario file {path}: {e.Message}");
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        bool yaml = ext is ".yaml" or ".yml" || (ext != ".json" && !text.TrimStart().StartsWith('{'));
        return Parse(text, path, yaml);
    }

    /// <summary>Parses scenario text; <paramref name="displayName"/> prefixes error messages.</summary>
    public static LoadedScenario Parse(string text, string displayName, bool yaml)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        JsonNode? tree = yaml ? ReadYaml(text, displayName, lines) : ReadJson(text, displayName, lines);
        if (tree is null)
            return new LoadedScenario(Defaults(), displayName, lines);
        if (tree is not JsonObject)
            throw new ScenarioException($"{displayName}:1: a scenario must be a mapping of fields (name, dataset, attacks, targets, ...).");

        RangeScenario? scenario;
        try
        {
            scenario = tree.Deserialize<RangeScenario>(JsonOptions);
        }
        catch (JsonException e)
        {
            var fieldPath = NormalizePath(e.Path);
            var (field, message) = Explain(e, fieldPath, tree);
            var loaded = new LoadedScenario(new RangeScenario(), displayName, lines);
            throw new ScenarioException($"{loaded.Locate(field)}: {(field.Length > 0 ? field + ": " : "")}{message}");
        }
        scenario ??= new RangeScenario();
        scenario.FillMissingSections();
        return new LoadedScenario(scenario, displayName, lines);
    }

    /// <summary>The scenario with every default, as a loader would return it for an empty file.</summary>
    public static RangeScenario Defaults()
    {
        var s = new RangeScenario();
        s.FillMissingSections();
        return s;
    }

    /// <summary>Serialises a scenario as the JSON a scenario file may hold.</summary>
    public static string ToJson(RangeScenario scenario) => JsonSerializer.Serialize(scenario, JsonOptions);

    private static (string Field, string Message) Explain(JsonException e, string path, JsonNode tree)
    {
        var text = e.Message;
        if (text.Contains("could not be mapped", StringComparison.Ordinal))
        {
            // The path may stop at the parent object; name the unknown property.
            var name = ExtractQuoted(text) ?? "";
            var camel = ToCamel(name);
            var field = path == camel || path.EndsWith("." + camel, StringComparison.Ordinal) ? path : Join(path, camel);
            return (field, $"unknown field '{name}'");
        }
        var node = Find(tree, path);
        var got = node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant();
        return (path, $"{ExpectedKind(text)} (got {got}{(node is JsonValue v ? " " + v.ToJsonString() : "")})");
    }

    private static string ExpectedKind(string message)
    {
        if (message.Contains("System.Int32", StringComparison.Ordinal) || message.Contains("System.Int64", StringComparison.Ordinal)
            || message.Contains("System.UInt64", StringComparison.Ordinal))
            return "expected a whole number";
        if (message.Contains("System.Double", StringComparison.Ordinal) || message.Contains("System.Single", StringComparison.Ordinal))
            return "expected a number";
        if (message.Contains("System.Boolean", StringComparison.Ordinal)) return "expected true or false";
        if (message.Contains("System.String", StringComparison.Ordinal)) return "expected a text value";
        if (message.Contains("List`1", StringComparison.Ordinal)) return "expected a list";
        if (message.Contains("Dictionary`2", StringComparison.Ordinal)) return "expected a mapping";
        if (message.Contains("PoisonRange.Range", StringComparison.Ordinal)) return "expected a mapping of fields";
        return "invalid value";
    }

    private static string? ExtractQuoted(string message)
    {
        int a = message.IndexOf('\'');
        if (a < 0) return null;
        int b = message.IndexOf('\'', a + 1);
        return b > a ? message[(a + 1)..b] : null;
    }

    private static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    /// <summary>"$.targets.items" / "$['targets'].items" / "$.attacks[2]" → "targets.items" / "attacks[2]".</summary>
    internal static string NormalizePath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "";
        var sb = new StringBuilder();
        int i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            char c = path[i];
            if (c == '.') { i++; continue; }
            if (c == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                int end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0) end = path.Length;
                if (sb.Length > 0) sb.Append('.');
                sb.Append(ToCamel(path[(i + 2)..end]));
                i = end + 2;
                continue;
            }
            if (c == '[')
            {
                int end = path.IndexOf(']', i);
                if (end < 0) end = path.Length - 1;
                sb.Append(path, i, end - i + 1);
                i = end + 1;
                continue;
            }
            int next = path.IndexOfAny(['.', '['], i);
            if (next < 0) next = path.Length;
            if (sb.Length > 0) sb.Append('.');
            sb.Append(ToCamel(path[i..next]));
            i = next;
        }
        return sb.ToString();
    }

    private static string ToCamel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static JsonNode? Find(JsonNode tree, string path)
    {
        JsonNode? node = tree;
        foreach (var part in SplitPath(path))
        {
            if (node is null) return null;
            if (part.StartsWith('['))
            {
                if (node is JsonArray arr && int.TryParse(part[1..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var idx) && idx < arr.Count)
                    node = arr[idx];
                else return null;
            }
            else if (node is JsonObject obj)
            {
                node = obj.FirstOrDefault(kv => string.Equals(kv.Key, part, StringComparison.OrdinalIgnoreCase)).Value;
            }
            else return null;
        }
        return node;
    }

    private static IEnumerable<string> SplitPath(string path)
    {
        int i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.') { i++; continue; }
            if (path[i] == '[')
            {
                int end = path.IndexOf(']', i);
                if (end < 0) yield break;
                yield return path[i..(end + 1)];
                i = end + 1;
                continue;
            }
            int next = path.IndexOfAny(['.', '['], i);
            if (next < 0) next = path.Length;
            yield return path[i..next];
            i = next;
        }
    }

    // ---- JSON ----

    private static JsonNode? ReadJson(string text, string name, Dictionary<string, int> lines)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var newlines = new List<long>();
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') newlines.Add(i);
        int LineOf(long offset)
        {
            int idx = newlines.BinarySearch(offset);
            return (idx < 0 ? ~idx : idx) + 1;
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            // Walk once for the path → line map.
            var stack = new Stack<(bool IsArray, int Index, string Path)>();
            string pendingProperty = "";
            string CurrentValuePath()
            {
                if (stack.Count == 0) return "";
                var top = stack.Peek();
                if (top.IsArray) return $"{top.Path}[{top.Index}]";
                return top.Path.Length == 0 ? pendingProperty : top.Path + "." + pendingProperty;
            }
            void Advance()
            {
                if (stack.Count > 0 && stack.Peek().IsArray)
                {
                    var t = stack.Pop();
                    stack.Push((true, t.Index + 1, t.Path));
                }
            }
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pendingProperty = ToCamel(reader.GetString() ?? "");
                        var propPath = stack.Count == 0 || stack.Peek().Path.Length == 0 ? pendingProperty : stack.Peek().Path + "." + pendingProperty;
                        lines.TryAdd(propPath, LineOf(reader.TokenStartIndex));
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        var path = CurrentValuePath();
                        if (path.Length > 0) lines.TryAdd(path, LineOf(reader.TokenStartIndex));
                        stack.Push((reader.TokenType == JsonTokenType.StartArray, 0, path));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.Pop();
                        Advance();
                        break;
                    default:
                        var valuePath = CurrentValuePath();
                        if (valuePath.Length > 0) lines.TryAdd(valuePath, LineOf(reader.TokenStartIndex));
                        Advance();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new ScenarioException($"{name}:{(e.LineNumber ?? 0) + 1}: invalid JSON: {FirstSentence(e.Message)}");
        }

        if (text.Trim().Length == 0) return null;
        try
        {
            return JsonNode.Parse(text, new JsonNodeOptions { PropertyNameCaseInsensitive = true },
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ScenarioException($"{name}:{(e.LineNumber ?? 0) + 1}: invalid JSON: {FirstSentence(e.Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        var m = message.Split('\n')[0].Trim();
        int cut = m.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) m = m[..cut].TrimEnd();
        cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) m = m[..cut].TrimEnd();
        return m.TrimEnd('.', '|', ' ');
    }

    // ---- YAML ----

    private static JsonNode? ReadYaml(string text, string name, Dictionary<string, int> lines)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ScenarioException($"{name}:{e.Start.Line}: invalid YAML: {OneLine(e.InnerException?.Message ?? e.Message)}");
        }
        if (stream.Documents.Count == 0) return null;
        if (stream.Documents.Count > 1)
            throw new ScenarioException($"{name}:{stream.Documents[1].RootNode.Start.Line}: a scenario file holds one YAML document.");
        return Convert(stream.Documents[0].RootNode, "", name, lines);
    }

    private static string OneLine(string message)
    {
        var m = message.ReplaceLineEndings(" ").Trim();
        // YamlDotNet prefixes "(Line: a, Col: b, Idx: c) - (Line: ...): ".
        int cut = m.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && m.StartsWith("(Line", StringComparison.Ordinal) ? m[(cut + 3)..] : m;
    }

    private static JsonNode? Convert(YamlNode node, string path, string name, Dictionary<string, int> lines)
    {
        if (path.Length > 0) lines.TryAdd(path, (int)node.Start.Line);
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject(new JsonNodeOptions { PropertyNameCaseInsensitive = true });
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                        throw new ScenarioException($"{name}:{keyNode.Start.Line}: field names must be plain text.");
                    var childPath = path.Length == 0 ? ToCamel(key) : path + "." + ToCamel(key);
                    lines.TryAdd(childPath, (int)keyNode.Start.Line);
                    if (obj.ContainsKey(key))
                        throw new ScenarioException($"{name}:{keyNode.Start.Line}: {childPath}: field given twice.");
                    obj[key] = Convert(valueNode, childPath, name, lines);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                int i = 0;
                foreach (var child in seq.Children)
                    arr.Add(Convert(child, $"{path}[{i++}]", name, lines));
                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new ScenarioException($"{name}:{node.Start.Line}: unsupported YAML node.");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        // YAML 1.2 core schema for plain scalars.
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ul)) return JsonValue.Create(ul);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !value.Contains(',')) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    /// <summary>Reads numbers and booleans into string fields too (item ids written as 12 in YAML).</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            _ => throw new JsonException($"Cannot convert {reader.TokenType} to System.String."),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}

/// <summary>A scenario the range cannot run; the message is shown as one line.</summary>
public sealed class ScenarioException(string message) : Exception(message);
