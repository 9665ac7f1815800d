using System.Globalization;
using System.Reflection;
using AutoResearch.Core.Records;

namespace AutoResearch.Core.Running;

/// <summary>
/// What the harness records about the machine an experiment ran on: the tool's version, the CPU model and cores, and the
/// 1-minute load average sampled while a run goes on. The load reader is a seam so tests can make a machine busy.
/// </summary>
public sealed class MachineProbe
{
    /// <summary>How often the load is sampled during a run (and once at its start and end).</summary>
    public static TimeSpan SampleInterval { get; } = TimeSpan.FromSeconds(5);

    private readonly Func<double?> _readLoad;

    /// <param name="readLoad">Reads the machine's load now; null when unknown. Default: <c>/proc/loadavg</c>'s first field.</param>
    /// <param name="cpu">The CPU model; default from <c>/proc/cpuinfo</c>.</param>
    /// <param name="cores">Logical processors; default <see cref="Environment.ProcessorCount"/>.</param>
    public MachineProbe(Func<double?>? readLoad = null, string? cpu = null, int? cores = null)
    {
        _readLoad = readLoad ?? ReadLoadAverage;
        Cpu = cpu ?? ReadCpuModel();
        Cores = cores ?? Environment.ProcessorCount;
    }

    /// <summary>The local machine, read from <c>/proc</c>.</summary>
    public static MachineProbe Local { get; } = new();

    /// <summary>The tool's version (the informational version of its assemblies, without the commit suffix).</summary>
    public static string ToolVersion { get; } =
        (typeof(MachineProbe).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown").Split('+')[0];

    /// <summary>The CPU model, null when unknown.</summary>
    public string? Cpu { get; }

    /// <summary>Logical processors.</summary>
    public int Cores { get; }

    /// <summary>Reads the load now.</summary>
    public double? Load() => _readLoad();

    /// <summary>Starts sampling the load every <paramref name="interval"/> until the sampler is disposed; the first sample is taken now.</summary>
    public LoadSampler Sample(TimeSpan? interval = null) => new(this, interval ?? SampleInterval);

    /// <summary>The conditions of a run whose load samples averaged <paramref name="load"/>.</summary>
    public RunConditions Conditions(double? load) => new() { ToolVersion = ToolVersion, Cpu = Cpu, Cores = Cores, Load = load };

    /// <summary>The first field of <c>/proc/loadavg</c> (the 1-minute load average), null where there is none.</summary>
    public static double? ReadLoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.TryParse(text.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc hidden: the load is unknown, which the record says.
            return null;
        }
    }

    private static string? ReadCpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
                .FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc hidden: the CPU is unknown.
            return null;
        }
    }
}
