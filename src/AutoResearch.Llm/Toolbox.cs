using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AutoResearch.Llm;

/// <summary>
/// The tools the model works with during one experiment: <c>list_files</c>, <c>read_file</c>, <c>replace_in_file</c>,
/// <c>write_file</c>, <c>note</c> and <c>finish</c>. A tool never throws at the model: a refusal or a mistake comes back
/// as its result, starting with <c>error:</c>, in words it can act on.
/// </summary>
internal sealed class Toolbox
{
    /// <summary>The most characters <c>read_file</c> returns at once.</summary>
    public const int MaxReadCharacters = 60_000;

    /// <summary>The largest file <c>read_file</c> opens (data sets and checkpoints are not for reading whole).</summary>
    public const long MaxFileBytes = 4 << 20;

    private const int MaxListed = 400;
    private readonly WorktreeFiles _files;
    private readonly Notebook _notebook;
    private readonly string _tag;
    private readonly int _seq;

    public Toolbox(WorktreeFiles files, Notebook notebook, string tag, int seq)
    {
        _files = files;
        _notebook = notebook;
        _tag = tag;
        _seq = seq;
    }

    /// <summary>The tool declarations sent with every request.</summary>
    public static IList<AITool> Declarations { get; } =
    [
        Declare("list_files", "List the repository's files (relative paths), marking the ones you may edit.", """
            {"type":"object","properties":{"folder":{"type":"string","description":"A folder relative to the repository root; default: the root."}}}
            """),
        Declare("read_file", "Read a text file of the repository. Long files come in parts: pass start_line to read on.", """
            {"type":"object","properties":{
              "path":{"type":"string","description":"The file, relative to the repository root."},
              "start_line":{"type":"integer","description":"The first line to return, from 1; default 1."}},
             "required":["path"]}
            """),
        Declare("replace_in_file", "Replace one exact piece of an editable file. old_text must match the file exactly (whitespace included) and occur exactly once; include surrounding lines to make it unique.", """
            {"type":"object","properties":{
              "path":{"type":"string","description":"The editable file, relative to the repository root."},
              "old_text":{"type":"string","description":"The exact text to replace; must occur exactly once."},
              "new_text":{"type":"string","description":"The text that replaces it."}},
             "required":["path","old_text","new_text"]}
            """),
        Declare("write_file", "Write the whole content of an editable file (creating it if needed). Prefer replace_in_file for small changes.", """
            {"type":"object","properties":{
              "path":{"type":"string","description":"The editable file, relative to the repository root."},
              "content":{"type":"string","description":"The file's complete new content."}},
             "required":["path","content"]}
            """),
        Declare("note", "Append a note to your research notebook, which you will see in every later experiment (also after restarts): what you tried, what you learned, ideas for next time.", """
            {"type":"object","properties":{"text":{"type":"string","description":"The note, a few lines at most."}},"required":["text"]}
            """),
        Declare("finish", "End this experiment once your change is made. The harness then runs it and keeps it only if the metric improves.", """
            {"type":"object","properties":{"description":{"type":"string","description":"One line (at most 120 characters) saying what you changed and why."}},"required":["description"]}
            """),
    ];

    /// <summary>Set when the model called <c>finish</c>.</summary>
    public string? FinishedWith { get; private set; }

    /// <summary>The editable files changed so far, relative paths.</summary>
    public ISet<string> Edited { get; } = new SortedSet<string>(StringComparer.Ordinal);

    /// <summary>Runs one tool call and returns what the model reads back.</summary>
    public async Task<string> CallAsync(string name, IDictionary<string, object?>? arguments, CancellationToken cancellationToken)
    {
        arguments ??= new Dictionary<string, object?>();
        try
        {
            return name switch
            {
                "list_files" => List(Text(arguments, "folder", required: false)),
                "read_file" => await ReadAsync(Text(arguments, "path")!, Integer(arguments, "start_line") ?? 1, cancellationToken).ConfigureAwait(false),
                "replace_in_file" => await ReplaceAsync(Text(arguments, "path")!, Text(arguments, "old_text")!, Text(arguments, "new_text")!, cancellationToken).ConfigureAwait(false),
                "write_file" => await WriteAsync(Text(arguments, "path")!, Text(arguments, "content")!, cancellationToken).ConfigureAwait(false),
                "note" => await NoteAsync(Text(arguments, "text")!, cancellationToken).ConfigureAwait(false),
                "finish" => Finish(Text(arguments, "description")!),
                _ => $"error: there is no tool `{name}`; the tools are list_files, read_file, replace_in_file, write_file, note and finish",
            };
        }
        catch (ToolArgumentException e)
        {
            return $"error: {name}: {e.Message}";
        }
        catch (IOException e)
        {
            // A file vanished, a folder is in the way, the disk is full: the model may be able to work around it.
            return $"error: {name}: {e.Message}";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"error: {name}: {e.Message}";
        }
    }

    private string List(string? folder)
    {
        var start = string.IsNullOrWhiteSpace(folder) ? "." : folder;
        if (start != ".")
        {
            var (full, _, refusal) = _files.Resolve(start, forWriting: false);
            if (refusal is not null)
            {
                return "error: " + refusal;
            }

            if (!Directory.Exists(full))
            {
                return $"error: there is no folder `{folder}`; call list_files without a folder to see them all";
            }
        }

        var files = _files.List(start);
        var text = new StringBuilder();
        foreach (var file in files.Take(MaxListed))
        {
            text.Append(file).Append(_files.IsEditable(file) ? "  (editable)\n" : "\n");
        }

        if (files.Count > MaxListed)
        {
            text.Append(CultureInfo.InvariantCulture, $"... and {files.Count - MaxListed} more; pass a folder to see them\n");
        }

        return files.Count == 0 ? "(no files)" : text.ToString();
    }

    private async Task<string> ReadAsync(string path, int startLine, CancellationToken cancellationToken)
    {
        var (full, relative, refusal) = _files.Resolve(path, forWriting: false);
        if (refusal is not null)
        {
            return "error: " + refusal;
        }

        if (!File.Exists(full))
        {
            return $"error: there is no file `{relative}`; list_files shows what exists";
        }

        var size = new FileInfo(full).Length;
        if (size > MaxFileBytes)
        {
            return $"error: `{relative}` is {size / (1 << 20)} MB; read_file opens text files up to {MaxFileBytes >> 20} MB";
        }

        var text = await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return $"error: `{relative}` is a binary file";
        }

        var lines = text.Split('\n');
        if (startLine < 1 || startLine > lines.Length)
        {
            return $"error: start_line {startLine} is outside `{relative}`, which has {lines.Length} lines";
        }

        var shown = new StringBuilder();
        var last = startLine - 1;
        for (; last < lines.Length && shown.Length + lines[last].Length < MaxReadCharacters; last++)
        {
            shown.Append(lines[last]).Append(last < lines.Length - 1 ? "\n" : "");
        }

        var header = last < lines.Length
            ? $"[{relative}, lines {startLine}-{last} of {lines.Length}; read on with start_line {last + 1}{(_files.IsEditable(relative) ? "; editable" : "")}]\n"
            : startLine > 1 ? $"[{relative}, lines {startLine}-{lines.Length}]\n" : "";
        return header + shown;
    }

    private async Task<string> ReplaceAsync(string path, string oldText, string newText, CancellationToken cancellationToken)
    {
        var (full, relative, refusal) = _files.Resolve(path, forWriting: true);
        if (refusal is not null)
        {
            return "error: " + refusal;
        }

        if (!File.Exists(full))
        {
            return $"error: there is no file `{relative}`; use write_file to create it";
        }

        if (oldText.Length == 0)
        {
            return "error: old_text is empty; give the exact text to replace";
        }

        if (oldText == newText)
        {
            return "error: old_text and new_text are the same; nothing would change";
        }

        var text = await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false);
        var at = new List<int>();
        for (var i = text.IndexOf(oldText, StringComparison.Ordinal); i >= 0; i = text.IndexOf(oldText, i + 1, StringComparison.Ordinal))
        {
            at.Add(i);
        }

        if (at.Count == 0)
        {
            return $"error: old_text was not found in `{relative}`; read_file it again and copy the text exactly, whitespace and indentation included";
        }

        if (at.Count > 1)
        {
            return $"error: old_text occurs {at.Count} times in `{relative}` (lines {string.Join(", ", at.Select(i => LineOf(text, i)))}); " +
                "include more of the surrounding lines so it occurs exactly once";
        }

        await File.WriteAllTextAsync(full, string.Concat(text.AsSpan(0, at[0]), newText, text.AsSpan(at[0] + oldText.Length)), cancellationToken)
            .ConfigureAwait(false);
        Edited.Add(relative);
        var first = LineOf(text, at[0]);
        return $"ok: replaced lines {first}-{first + newText.Count(c => c == '\n')} of `{relative}` (was {oldText.Count(c => c == '\n') + 1} line(s))";
    }

    private async Task<string> WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var (full, relative, refusal) = _files.Resolve(path, forWriting: true);
        if (refusal is not null)
        {
            return "error: " + refusal;
        }

        if (Directory.Exists(full))
        {
            return $"error: `{relative}` is a folder";
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var existed = File.Exists(full);
        await File.WriteAllTextAsync(full, content, cancellationToken).ConfigureAwait(false);
        Edited.Add(relative);
        return $"ok: {(existed ? "wrote" : "created")} `{relative}` ({content.Count(c => c == '\n') + (content.EndsWith('\n') ? 0 : 1)} lines)";
    }

    private async Task<string> NoteAsync(string text, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "error: the note is empty";
        }

        await _notebook.AppendAsync(_tag, _seq, text, cancellationToken).ConfigureAwait(false);
        return "ok: noted";
    }

    private string Finish(string description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return "error: finish needs a one-line description of what you changed";
        }

        FinishedWith = description;
        return Edited.Count > 0 ? "ok: the harness will now run your change" : "ok (you changed no file, so there is nothing to run)";
    }

    private static int LineOf(string text, int index) => 1 + text.AsSpan(0, index).Count('\n');

    private static AITool Declare(string name, string description, string schema) =>
        AIFunctionFactory.CreateDeclaration(name, description, JsonDocument.Parse(schema).RootElement.Clone());

    /// <summary>A string argument; the SDKs hand over JSON elements or strings.</summary>
    private static string? Text(IDictionary<string, object?> arguments, string name, bool required = true)
    {
        if (!arguments.TryGetValue(name, out var value) || value is null || value is JsonElement { ValueKind: JsonValueKind.Null })
        {
            return required ? throw new ToolArgumentException($"the argument `{name}` is missing") : null;
        }

        return value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
    }

    private static int? Integer(IDictionary<string, object?> arguments, string name)
    {
        var text = Text(arguments, name, required: false);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ToolArgumentException($"the argument `{name}` = \"{text}\" must be a whole number");
    }

    /// <summary>A tool call whose arguments are missing or malformed.</summary>
    private sealed class ToolArgumentException(string message) : Exception(message);
}
