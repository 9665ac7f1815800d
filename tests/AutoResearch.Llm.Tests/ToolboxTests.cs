using System.Text.Json;
using AutoResearch.Core.Spec;

namespace AutoResearch.Llm.Tests;

/// <summary>The tools on a real folder: what they let through, what they refuse, and what they say.</summary>
public sealed class ToolboxTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "tools-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _root;
    private readonly Toolbox _tools;

    public ToolboxTests()
    {
        _root = Path.Combine(_scratch, "repo");
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        File.WriteAllText(Path.Combine(_root, ".git", "config"), "[core]\n");
        File.WriteAllText(Path.Combine(_root, "train.py"), "LR = 0.1\nsteps = 10\nLR = 0.1\n");
        File.WriteAllText(Path.Combine(_root, "prepare.py"), "DATA = 1\n");
        File.WriteAllText(Path.Combine(_root, "src", "model.py"), "WIDTH = 64\n");
        File.WriteAllText(Path.Combine(_scratch, "secret.txt"), "outside\n");
        var files = new WorktreeFiles(_root, new EditableScope(["train.py", "src/*.py", "link*.py"]));
        _tools = new Toolbox(files, new Notebook(Path.Combine(_scratch, "notebook.md")), "t", 3);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Replace_needs_a_unique_exact_match_and_says_where_the_copies_are()
    {
        var twice = await CallAsync("replace_in_file", new { path = "train.py", old_text = "LR = 0.1", new_text = "LR = 0.2" });
        var missing = await CallAsync("replace_in_file", new { path = "train.py", old_text = "LR=0.1", new_text = "LR = 0.2" });
        var unique = await CallAsync("replace_in_file", new { path = "train.py", old_text = "LR = 0.1\nsteps", new_text = "LR = 0.2\nsteps" });

        Assert.Equal("error: old_text occurs 2 times in `train.py` (lines 1, 3); include more of the surrounding lines so it occurs exactly once", twice);
        Assert.StartsWith("error: old_text was not found in `train.py`", missing, StringComparison.Ordinal);
        Assert.StartsWith("ok: replaced lines 1-2 of `train.py`", unique, StringComparison.Ordinal);
        Assert.Equal("LR = 0.2\nsteps = 10\nLR = 0.1\n", File.ReadAllText(Path.Combine(_root, "train.py")));
        Assert.Equal(["train.py"], _tools.Edited);
    }

    [Fact]
    public async Task Read_only_files_are_readable_but_not_writable()
    {
        var read = await CallAsync("read_file", new { path = "prepare.py" });
        var write = await CallAsync("write_file", new { path = "prepare.py", content = "DATA = 2\n" });
        var create = await CallAsync("write_file", new { path = "src/extra.py", content = "A = 1\n" });

        Assert.Equal("DATA = 1\n", read);
        Assert.StartsWith("error: `prepare.py` is read-only: you may edit only files matching `train.py`, `src/*.py`", write, StringComparison.Ordinal);
        Assert.Equal("DATA = 1\n", File.ReadAllText(Path.Combine(_root, "prepare.py")));
        Assert.StartsWith("ok: created `src/extra.py`", create, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../secret.txt", "outside the repository")]
    [InlineData("src/../../secret.txt", "outside the repository")]
    [InlineData("/etc/passwd", "outside the repository")]
    [InlineData(".git/config", "belongs to the harness")]
    [InlineData("src/../.git/config", "belongs to the harness")]
    [InlineData(".autoresearch/ledger.db", "belongs to the harness")]
    public async Task Paths_outside_the_repository_or_into_the_harness_are_refused(string path, string reason)
    {
        var read = await CallAsync("read_file", new { path });
        var write = await CallAsync("write_file", new { path, content = "x" });

        Assert.Contains(reason, read, StringComparison.Ordinal);
        Assert.Contains(reason, write, StringComparison.Ordinal);
        Assert.Equal("outside\n", File.ReadAllText(Path.Combine(_scratch, "secret.txt")));
        Assert.Empty(_tools.Edited);
    }

    [Fact]
    public async Task Symbolic_links_do_not_lead_out_and_are_never_written_through()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "escape"), _scratch);
        File.CreateSymbolicLink(Path.Combine(_root, "link.py"), Path.Combine(_root, "prepare.py"));
        File.CreateSymbolicLink(Path.Combine(_root, "linkout.py"), Path.Combine(_scratch, "secret.txt"));

        var outRead = await CallAsync("read_file", new { path = "escape/secret.txt" });
        var outWrite = await CallAsync("write_file", new { path = "linkout.py", content = "x" });
        var inRead = await CallAsync("read_file", new { path = "link.py" });
        var inWrite = await CallAsync("write_file", new { path = "link.py", content = "DATA = 3\n" });
        var list = await CallAsync("list_files", new { });

        Assert.Contains("symbolic link", outRead, StringComparison.Ordinal);
        Assert.Contains("symbolic link", outWrite, StringComparison.Ordinal);
        Assert.Equal("DATA = 1\n", inRead);
        Assert.Contains("symbolic link; the tools write only regular files", inWrite, StringComparison.Ordinal);
        Assert.Equal("DATA = 1\n", File.ReadAllText(Path.Combine(_root, "prepare.py")));
        Assert.Equal("outside\n", File.ReadAllText(Path.Combine(_scratch, "secret.txt")));
        Assert.DoesNotContain("secret.txt", list, StringComparison.Ordinal);
        Assert.DoesNotContain(".git", list, StringComparison.Ordinal);
        Assert.Contains("src/model.py  (editable)", list, StringComparison.Ordinal);
        Assert.Contains("prepare.py\n", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_files_are_read_in_parts()
    {
        var lines = Enumerable.Range(1, 5000).Select(i => $"line {i} " + new string('x', 30));
        File.WriteAllText(Path.Combine(_root, "src", "big.py"), string.Join('\n', lines));

        var first = await CallAsync("read_file", new { path = "src/big.py" });
        var next = first.Split('\n')[0];
        var start = int.Parse(next[(next.LastIndexOf("start_line ", StringComparison.Ordinal) + 11)..next.IndexOf(';', next.IndexOf("start_line", StringComparison.Ordinal))], System.Globalization.CultureInfo.InvariantCulture);
        var second = await CallAsync("read_file", new { path = "src/big.py", start_line = start });

        Assert.True(first.Length <= Toolbox.MaxReadCharacters + 200);
        Assert.Contains($"line {start} x", second.Split('\n')[1], StringComparison.Ordinal);
        Assert.Contains($"line {start - 1} x", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Huge_files_are_not_read()
    {
        using (var data = File.Create(Path.Combine(_root, "data.bin")))
        {
            data.SetLength(Toolbox.MaxFileBytes + 1);
        }

        var read = await CallAsync("read_file", new { path = "data.bin" });

        Assert.Equal("error: `data.bin` is 4 MB; read_file opens text files up to 4 MB", read);
    }

    [Fact]
    public async Task Bad_arguments_and_unknown_tools_come_back_as_errors()
    {
        Assert.Equal("error: replace_in_file: the argument `new_text` is missing",
            await CallAsync("replace_in_file", new { path = "train.py", old_text = "LR" }));
        Assert.StartsWith("error: there is no tool `run_shell`", await CallAsync("run_shell", new { }), StringComparison.Ordinal);
        Assert.Equal("error: read_file: the argument `start_line` = \"ten\" must be a whole number",
            await CallAsync("read_file", new { path = "train.py", start_line = "ten" }));
    }

    [Fact]
    public async Task Notes_are_appended_and_finish_records_the_description()
    {
        await CallAsync("note", new { text = "first\nsecond line" });
        await CallAsync("note", new { text = "third" });
        var finish = await CallAsync("finish", new { description = "nothing changed" });

        Assert.Equal("- (run t, experiment 3) first\n  second line\n- (run t, experiment 3) third\n", File.ReadAllText(Path.Combine(_scratch, "notebook.md")));
        Assert.Equal("nothing changed", _tools.FinishedWith);
        Assert.Contains("you changed no file", finish, StringComparison.Ordinal);
    }

    private Task<string> CallAsync(string name, object arguments)
    {
        // Arguments arrive as JSON elements, as the SDKs hand them over.
        var json = JsonSerializer.SerializeToElement(arguments);
        var map = json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        return _tools.CallAsync(name, map, CancellationToken.None);
    }
}
