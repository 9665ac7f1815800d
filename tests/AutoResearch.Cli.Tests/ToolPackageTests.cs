using System.Diagnostics;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// `dotnet pack` makes the `autoresearch` dotnet tool; installed into a temporary tool path it runs from a folder
/// outside the repository: `init` finds its templates inside the package, `run` drives the empty template and the
/// tinygpt template (whose Directory.Build.props points at the installed tool's own libraries), `plot` finds
/// SkiaSharp's native library. Slow (a Release build and a ~100 MB package), so it is one test.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "tool-" + Guid.NewGuid().ToString("N")[..10]);

    public ToolPackageTests() => Directory.CreateDirectory(_scratch);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temp eventually.
        }
    }

    [Fact]
    public void Packed_tool_installs_and_runs_templates_outside_the_repository()
    {
        var repository = RepositoryRoot();
        var version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var packages = Path.Combine(_scratch, "packages");
        var tools = Path.Combine(_scratch, "tools");
        var work = Path.Combine(_scratch, "work");
        Directory.CreateDirectory(work);
        Assert.False(work.StartsWith(repository, StringComparison.Ordinal), "the workspace must be outside the repository");

        Run(repository, "dotnet", "pack", Path.Combine(repository, "src", "AutoResearch.Cli", "AutoResearch.Cli.csproj"),
            "-c", "Release", "-o", packages, $"-p:PackageVersion={version}", "-nologo");
        Run(work, "dotnet", "tool", "install", "autoresearch", "--tool-path", tools, "--add-source", packages, "--version", version);
        var autoresearch = Path.Combine(tools, "autoresearch");

        var init = Run(work, autoresearch, "init", "toy", "--template", "empty");
        Assert.Contains("autoresearch.toml", init, StringComparison.Ordinal);
        var run = Run(work, autoresearch, "run", "toy", "--max-experiments", "2", "--plain");
        Assert.Contains("reached --max-experiments 2", run, StringComparison.Ordinal);
        Run(work, autoresearch, "plot", "toy", "-o", "progress.png");
        Assert.True(new FileInfo(Path.Combine(work, "progress.png")).Length > 1000, "progress.png is missing or empty");

        var initTinygpt = Run(work, autoresearch, "init", "tg", "--template", "tinygpt");
        var tinygpt = Path.Combine(work, "tg");
        // A tool installed with --tool-path is not on the PATH: the next step names it in full, so it works as printed.
        Assert.Contains($"next: {autoresearch} run tg", initTinygpt, StringComparison.Ordinal);
        // The workspace names a link that `dotnet tool update` leaves valid, not the versioned store folder it deletes.
        var props = File.ReadAllText(Path.Combine(tinygpt, "Directory.Build.props"));
        var library = System.Text.RegularExpressions.Regex.Match(props, @"== ''"">(?<path>[^<]+)</AutoResearchLib>").Groups["path"].Value;
        Assert.DoesNotContain(".store", props, StringComparison.Ordinal);
        Assert.StartsWith(tools, new DirectoryInfo(library).ResolveLinkTarget(returnFinalTarget: true)!.FullName, StringComparison.Ordinal);
        // One baseline run, a tiny token budget on a small corpus: this checks the wiring, not the research. Training and
        // trusted scoring run in the sandbox, whose private /tmp must not hide the tool installed under /tmp.
        Assert.StartsWith("/tmp/", tools, StringComparison.Ordinal);
        var toml = Path.Combine(tinygpt, "autoresearch.toml");
        File.WriteAllText(toml, File.ReadAllText(toml)
            .Replace("baseline_repeats = 3", "baseline_repeats = 1", StringComparison.Ordinal)
            .Replace("sandbox = \"none\"", "sandbox = \"bwrap\"", StringComparison.Ordinal));
        TempGitRepo.Run(tinygpt, "commit", "-q", "-am", "one baseline run, sandboxed");
        var corpus = Path.Combine(_scratch, "corpus.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n", 400)));
        var trained = Run(work, autoresearch, new Dictionary<string, string>
        {
            // Unset in the sandbox's environment: a data home under the private /tmp leaves `dotnet` there without a
            // temporary folder (the link is not needed: `run` passes its own folder as AUTORESEARCH_LIB).
            ["XDG_DATA_HOME"] = "",
            ["AUTORESEARCH_DATA"] = corpus,
            ["AUTORESEARCH_TOKEN_BUDGET"] = "20480",
            ["AUTORESEARCH_THREADS"] = "2",
        }, "run", "tg", "--max-experiments", "1", "--plain");
        Assert.Contains("reached --max-experiments 1", trained, StringComparison.Ordinal);
        Assert.Matches(@"val_bpb \(mean of seeds\): baseline [0-9.]+ -> best [0-9.]+", trained);
        var baselineLog = File.ReadAllText(Path.Combine(tinygpt, ".autoresearch", "runs", "1", "run.log"));
        Assert.StartsWith("[autoresearch] sandbox: bwrap", baselineLog, StringComparison.Ordinal);
        Assert.Contains("[autoresearch] trusted val_bpb:", baselineLog, StringComparison.Ordinal);
    }

    private static string Run(string directory, string program, params string[] arguments) =>
        Run(directory, program, new Dictionary<string, string>(), arguments);

    private static string Run(string directory, string program, Dictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        // The test host's MSBuild variables would point a nested `dotnet pack` at the wrong SDK pieces.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment.Remove("AUTORESEARCH_LIB");
        // The installed tool's library link goes to the test's folder, never the user's ~/.local/share.
        info.Environment["XDG_DATA_HOME"] = Path.Combine(CliRunner.ConfigHome, "data");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            if (value.Length == 0)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}\n{stdout}\n{stderr.Result}");
        return stdout;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoResearch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no AutoResearch.slnx above {AppContext.BaseDirectory}");
    }
}
