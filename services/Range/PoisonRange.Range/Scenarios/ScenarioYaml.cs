using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PoisonRange.Range.Scenarios;

/// <summary>A resolved scenario as YAML, with exactly the fields and names a scenario file takes.</summary>
public static class ScenarioYaml
{
    public static string Write(RangeScenario scenario)
    {
        // Through JSON first, so YAML shows exactly the fields and names a scenario file takes.
        var tree = JsonSerializer.SerializeToNode(scenario, ScenarioFile.JsonOptions);
        var plain = ToPlain(tree);
        var serializer = new SerializerBuilder().WithNamingConvention(NullNamingConvention.Instance).WithQuotingNecessaryStrings().Build();
        return serializer.Serialize(plain);
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<ulong>(out var u) => u,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
