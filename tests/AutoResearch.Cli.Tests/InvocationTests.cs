namespace AutoResearch.Cli.Tests;

public sealed class InvocationTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "invocation-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void An_installed_tool_on_the_path_is_autoresearch_and_off_the_path_its_full_shim()
    {
        var tools = Path.Combine(_root, "tools");
        var library = Directory.CreateDirectory(Path.Combine(tools, ".store", "autoresearch", "0.1.0", "autoresearch", "0.1.0", "tools", "net10.0", "any")).FullName;

        Assert.Equal("autoresearch", Invocation.Prefix(library, $"/usr/bin{Path.PathSeparator}{tools}"));
        Assert.Equal(Path.Combine(tools, "autoresearch"), Invocation.Prefix(library, "/usr/bin"));
    }

    [Fact]
    public void A_build_of_the_source_is_dotnet_run_with_its_project_and_configuration()
    {
        var project = Directory.CreateDirectory(Path.Combine(_root, "src", "AutoResearch.Cli")).FullName;
        File.WriteAllText(Path.Combine(project, "AutoResearch.Cli.csproj"), "<Project />");
        var release = Directory.CreateDirectory(Path.Combine(project, "bin", "Release", "net10.0")).FullName;
        var debug = Directory.CreateDirectory(Path.Combine(project, "bin", "Debug", "net10.0")).FullName;

        Assert.Equal($"dotnet run --project {project} -c Release --", Invocation.Prefix(release, "/usr/bin"));
        Assert.Equal($"dotnet run --project {project} --", Invocation.Prefix(debug, "/usr/bin"));
    }

    [Fact]
    public void Anything_else_is_dotnet_and_the_tool_s_dll()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "copy")).FullName;

        Assert.Equal($"dotnet {Path.Combine(folder, "autoresearch.dll")}", Invocation.Prefix(folder, null));
    }
}
