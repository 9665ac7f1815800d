#:project ../../src/AutoResearch.Core/AutoResearch.Core.csproj
// What identifying one claim by its effect costs the coordinator: git reading a one-file patch against its parent in a
// scratch repository, the old way (read-tree, apply, diff-index, write-tree: four processes) and the new way (the parent's
// index copied: three), side by side in one process, alternating; then the cache's share (SHA-256 of the text and a lookup).
// Usage: dotnet run bench/swarm/effect.cs [ROUNDS]
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Workspace;

var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100;
var repo = Directory.CreateTempSubdirectory("effect-bench-").FullName;
try
{
    Git("init", "-q", "-b", "main");
    for (var i = 0; i < 40; i++)
    {
        File.WriteAllText(Path.Combine(repo, $"file{i:00}.py"), string.Concat(Enumerable.Range(0, 200).Select(l => $"x{l} = {l * i}\n")));
    }

    Git("add", "-A");
    Git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "base");
    var parent = Git("rev-parse", "HEAD").Trim();
    File.AppendAllText(Path.Combine(repo, "file07.py"), "lr = 0.02\n");
    var patch = Git("diff");
    Git("checkout", "-q", "--", ".");

    using var scratch = await ScratchRepository.CreateAsync(repo);
    await scratch.ReadAsync(parent, patch); // warm: the parent's index is written once
    var fourProcesses = new List<double>();
    var threeProcesses = new List<double>();
    for (var i = 0; i < rounds; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var a = await PatchEffect.ReadAsync(scratch.Path, parent, patch);
        fourProcesses.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        started = Stopwatch.GetTimestamp();
        var b = await scratch.ReadAsync(parent, patch);
        threeProcesses.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (a.Identity != b.Identity || a.Tree != b.Tree)
        {
            throw new InvalidOperationException("the two ways disagree");
        }
    }

    var cache = new Dictionary<string, PatchEffect> { [parent + ":" + Key(patch)] = await scratch.ReadAsync(parent, patch) };
    var lookups = Stopwatch.GetTimestamp();
    for (var i = 0; i < 10_000; i++)
    {
        _ = cache[parent + ":" + Key(patch)];
    }

    var lookup = Stopwatch.GetElapsedTime(lookups).TotalMilliseconds / 10_000;
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}, {rounds} rounds, patch {patch.Length} bytes, 40 files");
    Console.WriteLine("| way | git processes | p50 ms | p90 ms | min ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    Row("read-tree + apply + diff-index + write-tree", 4, fourProcesses);
    Row("parent index copied + apply + diff-index + write-tree", 3, threeProcesses);
    Console.WriteLine($"| cache hit (SHA-256 of the text + lookup) | 0 | {lookup:0.0000} | | |");
}
finally
{
    Directory.Delete(repo, recursive: true);
}

void Row(string way, int processes, List<double> ms)
{
    ms.Sort();
    Console.WriteLine($"| {way} | {processes} | {ms[ms.Count / 2]:0.00} | {ms[ms.Count * 9 / 10]:0.00} | {ms[0]:0.00} |");
}

static string Key(string patch) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(patch)));

string Git(params string[] arguments)
{
    var start = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardOutput = true };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed");
}
