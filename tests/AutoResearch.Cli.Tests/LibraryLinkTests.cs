using AutoResearch.Core.Workspace;

namespace AutoResearch.Cli.Tests;

/// <summary><c>init</c> from an installed tool must not name its versioned store folder, which <c>dotnet tool update</c> deletes.</summary>
public sealed class LibraryLinkTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "link-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Workspace_made_by_an_installed_tool_still_finds_the_libraries_after_an_update()
    {
        var dataHome = Path.Combine(_root, "data");
        var v1 = Version("0.1.0");
        var link = LibraryLink.Ensure(v1, dataHome);
        var workspace = Path.Combine(_root, "ws");
        await TemplateInstaller.InstallAsync(Path.Combine(AppContext.BaseDirectory, "templates"), "tinygpt", workspace, link);
        var props = await File.ReadAllTextAsync(Path.Combine(workspace, "Directory.Build.props"));

        // `dotnet tool update`: the new version is installed, the old folder deleted, and the tool starts once.
        var v2 = Version("0.2.0");
        Directory.Delete(Path.Combine(_root, "tools", ".store", "autoresearch", "0.1.0"), recursive: true);
        var again = LibraryLink.Ensure(v2, dataHome);

        Assert.StartsWith(dataHome, link, StringComparison.Ordinal);
        Assert.Contains($"<AutoResearchLib Condition=\"'$(AutoResearchLib)' == ''\">{link}</AutoResearchLib>", props, StringComparison.Ordinal);
        Assert.DoesNotContain(".store", props, StringComparison.Ordinal);
        Assert.Equal(link, again);
        Assert.Equal("0.2.0", await File.ReadAllTextAsync(Path.Combine(link, "AutoResearch.TinyGpt.dll")));
    }

    [Fact]
    public void A_start_of_the_tool_moves_an_existing_link_but_never_makes_one()
    {
        var dataHome = Path.Combine(_root, "data");

        var link = LibraryLink.Ensure(Version("0.1.0"), dataHome, create: false);
        Assert.False(File.Exists(link) || Directory.Exists(link));
        LibraryLink.Ensure(Version("0.1.0"), dataHome);
        LibraryLink.Ensure(Version("0.2.0"), dataHome, create: false);

        Assert.Equal("0.2.0", File.ReadAllText(Path.Combine(link, "AutoResearch.TinyGpt.dll")));
    }

    [Fact]
    public void A_build_of_the_source_is_named_as_it_is()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root, "src", "AutoResearch.Cli", "bin", "Release", "net10.0")).FullName;

        Assert.Equal(bin, LibraryLink.Ensure(bin, Path.Combine(_root, "data")));
        Assert.False(Directory.Exists(Path.Combine(_root, "data")));
    }

    private string Version(string version)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "tools", ".store", "autoresearch", version, "autoresearch", version, "tools", "net10.0", "any")).FullName;
        File.WriteAllText(Path.Combine(folder, "AutoResearch.TinyGpt.dll"), version);
        return folder;
    }
}
