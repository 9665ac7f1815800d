using System.Text;

namespace AutoResearch.Llm;

/// <summary>
/// The research notebook: what the model chose to remember, appended by the <c>note</c> tool and shown to it at the
/// start of every experiment. A markdown file in the workspace's <c>.autoresearch</c> folder, so it outlives worktree
/// resets and restarts and never enters git.
/// </summary>
internal sealed class Notebook(string path)
{
    /// <summary>How much of the notebook's end a briefing shows.</summary>
    public const int ShownCharacters = 8_000;

    public string Path { get; } = path;

    /// <summary>Appends one note under a line naming the run and experiment it came from.</summary>
    public async Task AppendAsync(string tag, int seq, string text, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var entry = new StringBuilder()
            .Append("- (run ").Append(tag).Append(", experiment ").Append(seq).Append(") ")
            .Append(text.Trim().ReplaceLineEndings("\n  "))
            .Append('\n')
            .ToString();
        await File.AppendAllTextAsync(Path, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The notebook's last <see cref="ShownCharacters"/> characters, from a whole line; empty when there are no notes.</summary>
    public async Task<string> TailAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return "";
        }

        var text = await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
        if (text.Length <= ShownCharacters)
        {
            return text;
        }

        var cut = text[^ShownCharacters..];
        var newline = cut.IndexOf('\n', StringComparison.Ordinal);
        return "(earlier notes cut)\n" + (newline >= 0 ? cut[(newline + 1)..] : cut);
    }
}
