using System.Globalization;
using System.Text;
using System.Text.Json;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;

namespace PoisonRange.Client.Profiles;

/// <summary>What a profiles file says about how its profiles were made (its header line).</summary>
public sealed record FakeProfileMetadata
{
    public string Strategy { get; init; } = "";
    public IReadOnlyList<string> TargetItems { get; init; } = [];
    public IReadOnlyList<string> TargetUsers { get; init; } = [];
    public ulong Seed { get; init; }
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>The budget M the profiles were generated for; 0 when unknown.</summary>
    public int ActionsPerUser { get; init; }
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
}

/// <summary>A profiles file as read: its header and its profiles, in file order.</summary>
public sealed record FakeProfileDocument(FakeProfileMetadata Metadata, IReadOnlyList<FakeProfile> Profiles, int FormatVersion);

/// <summary>A profiles file that cannot be read, with the 1-based line at fault.</summary>
public sealed class FakeProfileFileException : FormatException
{
    public FakeProfileFileException(string path, int lineNumber, string message, Exception? inner = null)
        : base($"{path}:{lineNumber}: {message}", inner)
    {
        Path = path;
        LineNumber = lineNumber;
    }

    public string Path { get; }
    public int LineNumber { get; }
}

/// <summary>
/// Fake profiles as JSON Lines (UTF-8, one JSON object per line; docs/profiles-format.md).
/// Line 1 is a header: <c>{"format":"poisonrange.fake-profiles","version":1,"strategy":...,
/// "target_items":[...],"target_users":[...],"seed":...,"created":"...","actions_per_user":...,
/// "parameters":{...},"profiles":N}</c>; every further line is one profile:
/// <c>{"profile_id":"...","interactions":[{"item_id":"...","timestamp_ms":...,"rating":4.0}]}</c>
/// (<c>rating</c> optional). Blank lines are ignored. Written atomically (temporary file, then rename).
/// </summary>
public static class FakeProfileFile
{
    public const string FormatName = "poisonrange.fake-profiles";
    public const int CurrentVersion = 1;

    public static void Write(string path, IReadOnlyList<FakeProfile> profiles, FakeProfileMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(metadata);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in profiles)
        {
            if (string.IsNullOrEmpty(p.ProfileId)) throw new ArgumentException("Every profile needs a profile_id.", nameof(profiles));
            if (!ids.Add(p.ProfileId)) throw new ArgumentException($"Duplicate profile_id '{p.ProfileId}'.", nameof(profiles));
        }

        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteLine(stream, w => WriteHeader(w, metadata, profiles.Count));
                foreach (var p in profiles)
                    WriteLine(stream, w => WriteProfile(w, p));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    public static FakeProfileDocument Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        FakeProfileMetadata? metadata = null;
        int version = 0, declared = -1, lineNumber = 0;
        var profiles = new List<FakeProfile>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        string? line;
        while (true)
        {
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException ex)
            {
                throw new FakeProfileFileException(path, lineNumber + 1, "the file is not valid UTF-8.", ex);
            }
            if (line is null) break;
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                throw new FakeProfileFileException(path, lineNumber, $"not a JSON object ({ex.Message}).", ex);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new FakeProfileFileException(path, lineNumber, $"expected a JSON object, found {root.ValueKind}.");
                try
                {
                    if (metadata is null)
                    {
                        (metadata, version, declared) = ParseHeader(root);
                    }
                    else
                    {
                        var profile = ParseProfile(root);
                        if (ids.TryGetValue(profile.ProfileId, out var first))
                            throw new FormatException($"profile_id '{profile.ProfileId}' already used on line {first}.");
                        ids.Add(profile.ProfileId, lineNumber);
                        profiles.Add(profile);
                    }
                }
                catch (FormatException ex)
                {
                    throw new FakeProfileFileException(path, lineNumber, ex.Message, ex);
                }
            }
        }
        if (metadata is null)
            throw new FakeProfileFileException(path, Math.Max(1, lineNumber), "the file is empty: the first line must be the header.");
        if (declared >= 0 && declared != profiles.Count)
            throw new FakeProfileFileException(path, lineNumber, $"the header announces {declared} profiles but the file has {profiles.Count} (truncated file?).");
        return new FakeProfileDocument(metadata, profiles, version);
    }

    private static void WriteLine(Stream stream, Action<Utf8JsonWriter> write)
    {
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = false }))
            write(writer);
        stream.WriteByte((byte)'\n');
    }

    private static void WriteHeader(Utf8JsonWriter w, FakeProfileMetadata m, int count)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", CurrentVersion);
        w.WriteString("strategy", m.Strategy);
        w.WriteStartArray("target_items");
        foreach (var t in m.TargetItems) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("target_users");
        foreach (var t in m.TargetUsers) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteNumber("seed", m.Seed);
        w.WriteString("created", m.CreatedUtc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteNumber("actions_per_user", m.ActionsPerUser);
        w.WriteStartObject("parameters");
        foreach (var (k, v) in m.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteNumber("profiles", count);
        w.WriteEndObject();
    }

    private static void WriteProfile(Utf8JsonWriter w, FakeProfile p)
    {
        w.WriteStartObject();
        w.WriteString("profile_id", p.ProfileId);
        w.WriteStartArray("interactions");
        foreach (var x in p.Interactions)
        {
            w.WriteStartObject();
            w.WriteString("item_id", x.ItemId);
            w.WriteNumber("timestamp_ms", x.TimestampMs);
            if (x.HasRating) w.WriteNumber("rating", x.Rating);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static (FakeProfileMetadata, int Version, int Declared) ParseHeader(JsonElement root)
    {
        var format = OptionalString(root, "format");
        if (format != FormatName)
            throw new FormatException($"the first line must be the header with \"format\": \"{FormatName}\" (found {(format is null ? "no format" : $"\"{format}\"")}).");
        if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version))
            throw new FormatException("the header needs an integer \"version\".");
        if (version < 1 || version > CurrentVersion)
            throw new FormatException($"format version {version} is not supported (this reader knows 1..{CurrentVersion}).");
        ulong seed = 0;
        if (root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null && (s.ValueKind != JsonValueKind.Number || !s.TryGetUInt64(out seed)))
            throw new FormatException("\"seed\" must be a non-negative integer.");
        var created = DateTimeOffset.UnixEpoch;
        var createdText = OptionalString(root, "created");
        if (createdText is not null && !DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out created))
            throw new FormatException($"\"created\" is not an ISO 8601 time: \"{createdText}\".");
        int actions = 0;
        if (root.TryGetProperty("actions_per_user", out var a) && a.ValueKind != JsonValueKind.Null && (a.ValueKind != JsonValueKind.Number || !a.TryGetInt32(out actions)))
            throw new FormatException("\"actions_per_user\" must be an integer.");
        int declared = -1;
        if (root.TryGetProperty("profiles", out var c) && c.ValueKind != JsonValueKind.Null && (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out declared) || declared < 0))
            throw new FormatException("\"profiles\" must be a non-negative integer.");
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("parameters", out var ps) && ps.ValueKind != JsonValueKind.Null)
        {
            if (ps.ValueKind != JsonValueKind.Object) throw new FormatException("\"parameters\" must be an object of strings.");
            foreach (var p in ps.EnumerateObject())
                parameters[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }
        var metadata = new FakeProfileMetadata
        {
            Strategy = OptionalString(root, "strategy") ?? "",
            TargetItems = StringArray(root, "target_items"),
            TargetUsers = StringArray(root, "target_users"),
            Seed = seed,
            CreatedUtc = created,
            ActionsPerUser = actions,
            Parameters = parameters,
        };
        return (metadata, version, declared);
    }

    private static FakeProfile ParseProfile(JsonElement root)
    {
        if (root.TryGetProperty("format", out _))
            throw new FormatException("a second header line; only the first line may be a header.");
        var id = OptionalString(root, "profile_id");
        if (string.IsNullOrEmpty(id)) throw new FormatException("a profile needs a non-empty string \"profile_id\".");
        if (!root.TryGetProperty("interactions", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new FormatException($"profile '{id}' needs an \"interactions\" array.");
        var profile = new FakeProfile { ProfileId = id };
        int index = 0;
        foreach (var x in list.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Object) throw new FormatException($"profile '{id}', interaction {index}: expected an object.");
            var item = OptionalString(x, "item_id");
            if (string.IsNullOrEmpty(item)) throw new FormatException($"profile '{id}', interaction {index}: \"item_id\" must be a non-empty string.");
            if (!x.TryGetProperty("timestamp_ms", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out var timestamp))
                throw new FormatException($"profile '{id}', interaction {index}: \"timestamp_ms\" must be an integer.");
            var interaction = new Interaction { ItemId = item, TimestampMs = timestamp };
            if (x.TryGetProperty("rating", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                if (r.ValueKind != JsonValueKind.Number || !r.TryGetSingle(out var rating) || !float.IsFinite(rating))
                    throw new FormatException($"profile '{id}', interaction {index}: \"rating\" must be a number.");
                interaction.Rating = rating;
            }
            profile.Interactions.Add(interaction);
            index++;
        }
        return profile;
    }

    private static string? OptionalString(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null) return null;
        if (p.ValueKind != JsonValueKind.String) throw new FormatException($"\"{name}\" must be a string.");
        return p.GetString();
    }

    private static IReadOnlyList<string> StringArray(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null) return [];
        if (p.ValueKind != JsonValueKind.Array) throw new FormatException($"\"{name}\" must be an array of strings.");
        var list = new List<string>();
        foreach (var x in p.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.String) throw new FormatException($"\"{name}\" must be an array of strings.");
            list.Add(x.GetString()!);
        }
        return list;
    }
}
