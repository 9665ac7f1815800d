using System.Diagnostics;
using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// The settings under which every git call of the harness, the swarm worker and the coordinator runs, so that a repository
/// that code under research (or whoever sent a patch) may have written to cannot make git run anything but itself.
/// </summary>
/// <remarks>
/// Hooks are off (<c>core.hooksPath=/dev/null</c>); no setting can make git start a program (fsmonitor, pager, editor, ssh,
/// askpass, credential helpers, external diff, signing, automatic gc or maintenance); the user's global and the system's
/// config files are not read, so only the repository's own config applies, under the settings here, which come later on
/// the command line and win; variables that would point git at another repository, index or config, or run a program,
/// are removed from the environment. Not covered: a clean or smudge filter that the repository's own config defines and
/// its <c>.gitattributes</c> names (git has no switch for all filters at once); the harness restores the config after
/// every phase that could change it (<see cref="RepositoryGuard"/>).
/// </remarks>
public static class NeutralGit
{
    /// <summary>The <c>name=value</c> settings passed with <c>-c</c> before every git command.</summary>
    public static IReadOnlyList<string> Settings { get; } =
    [
        "core.hooksPath=/dev/null", "core.fsmonitor=false", "core.pager=cat", "core.editor=true", "core.sshCommand=false",
        "core.askPass=", "credential.helper=", "diff.external=", "commit.gpgSign=false", "tag.gpgSign=false", "gc.auto=0",
        "maintenance.auto=false", "protocol.allow=never", "core.quotepath=off", "core.untrackedCache=false",
        "submodule.recurse=false", "core.splitIndex=false",
    ];

    /// <summary>Environment variables set for every git call: no prompt, no global or system config or attributes, no pager, the C locale.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        ["GIT_ATTR_NOSYSTEM"] = "1",
        ["GIT_PAGER"] = "cat",
        ["LC_ALL"] = "C",
    };

    /// <summary>Environment variables removed for every git call: they would point git at another repository, index or config, or run a program.</summary>
    public static IReadOnlyList<string> RemovedEnvironment { get; } =
    [
        "GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_DIR", "GIT_WORK_TREE",
        "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
        "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_SYSTEM", "GIT_EXEC_PATH",
    ];

    /// <summary>
    /// A start for <c>git</c> with <paramref name="arguments"/> in <paramref name="directory"/>, under <see cref="Settings"/> and
    /// <see cref="Environment"/> without <see cref="RemovedEnvironment"/>; every stream redirected, stdout read as UTF-8. The
    /// caller closes stdin (or writes to it) and reads both outputs while git runs.
    /// </summary>
    public static ProcessStartInfo StartInfo(string directory, IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        foreach (var setting in Settings)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(setting);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in RemovedEnvironment)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }
}
