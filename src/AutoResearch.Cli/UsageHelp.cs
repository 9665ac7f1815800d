using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace AutoResearch.Cli;

/// <summary>
/// Turns Spectre's parse errors into messages a person can act on: an unknown option or command gets the nearest known
/// one ("did you mean --max-experiments?"), a value that does not parse says which option wanted what kind of value.
/// </summary>
internal static partial class UsageHelp
{
    /// <summary>The message for <paramref name="error"/> given the command line <paramref name="args"/>.</summary>
    public static string Explain(CommandAppException error, IReadOnlyList<string> args, IReadOnlyDictionary<string, Type> commands)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = error.Message.TrimEnd('.');
        var command = args.FirstOrDefault(a => !a.StartsWith('-'));
        var options = command is not null && commands.TryGetValue(command, out var type) ? Options(type) : [];

        if (UnknownOption().Match(message) is { Success: true } unknown)
        {
            var name = "--" + unknown.Groups["name"].Value.TrimStart('-');
            var nearest = Nearest(name, options.Select(o => o.Name));
            return $"unknown option {name}{(nearest is null ? "" : $"; did you mean {nearest}?")} (`{Invocation.Command($"{command} --help")}` lists the options)";
        }

        if (UnknownCommand().Match(message) is { Success: true } unknownCommand)
        {
            var nearest = Nearest(unknownCommand.Groups["name"].Value, commands.Keys);
            return $"unknown command '{unknownCommand.Groups["name"].Value}'{(nearest is null ? "" : $"; did you mean {nearest}?")} (`{Invocation.Command("--help")}` lists the commands)";
        }

        if (Conversion().Match(message) is { Success: true } conversion)
        {
            var value = conversion.Groups["value"].Value;
            // The option is the argument just before the value (or --name=value).
            var index = args.ToList().FindIndex(a => a == value || a.EndsWith("=" + value, StringComparison.Ordinal));
            var name = index > 0 && args[index - 1].StartsWith("--", StringComparison.Ordinal) ? args[index - 1]
                : index >= 0 && args[index].Contains('=', StringComparison.Ordinal) ? args[index][..args[index].IndexOf('=', StringComparison.Ordinal)] : null;
            var option = options.FirstOrDefault(o => o.Name == name);
            var kind = option.Type is null ? "a value of another kind" : Kind(option.Type);
            return name is null
                ? $"'{value}' is not {kind}"
                : $"{name} {value}: not {kind}; e.g. {name} {Example(option.Type)}";
        }

        return message;
    }

    /// <summary>The nearest of <paramref name="candidates"/> to <paramref name="typed"/>, when it is close enough to be a typo.</summary>
    internal static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Name: c, Distance: Distance(typed, c))).OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, typed.Length / 3) ? best.Name : null;
    }

    private static List<(string Name, Type? Type)> Options(Type commandType)
    {
        var settings = commandType.BaseType is { IsGenericType: true } generic ? generic.GetGenericArguments()[0] : null;
        if (settings is null)
        {
            return [];
        }

        var options = new List<(string, Type?)>();
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { } attribute)
            {
                foreach (var name in attribute.LongNames)
                {
                    options.Add(("--" + name, property.PropertyType));
                }
            }
        }

        return options;
    }

    private static string Kind(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number",
        var t when t == typeof(bool) => "true or false",
        var t when t.IsEnum => $"one of {string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant()))}",
        _ => "a value of the right kind",
    };

    private static string Example(Type? type) => (type is null ? null : Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "3",
        var t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "1.5",
        var t when t == typeof(bool) => "true",
        _ => "...",
    };

    /// <summary>Levenshtein distance, case-insensitive.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }

        return row[b.Length];
    }

    [GeneratedRegex("^(Unknown|Unexpected) option '(?<name>[^']+)'")]
    private static partial Regex UnknownOption();

    [GeneratedRegex("^Unknown command '(?<name>[^']+)'")]
    private static partial Regex UnknownCommand();

    [GeneratedRegex("^Failed to convert '(?<value>[^']*)' to ")]
    private static partial Regex Conversion();
}
