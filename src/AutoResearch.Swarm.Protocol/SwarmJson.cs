using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoResearch.Swarm.Protocol;

/// <summary>The JSON settings of the wire format: snake_case names, enums as snake_case strings, nulls omitted.</summary>
public static class SwarmJson
{
    /// <summary>The options both sides serialize with.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
