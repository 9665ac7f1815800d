using System.Globalization;
using System.Text;

namespace AutoResearch.Core.Running;

/// <summary>
/// A log file that keeps at most a set size of what a command printed: the head as it comes, then a window of the most
/// recent lines, written after a marker that says how much was dropped when the log is closed. A run's summary block is
/// at its end and its first error at its start, so both survive a command that prints gigabytes. Thread-safe.
/// </summary>
internal sealed class CappedLog : IDisposable
{
    /// <summary>The default cap on one log: 16 MB.</summary>
    public const long DefaultMaxBytes = 16L * 1024 * 1024;

    private readonly StreamWriter _writer;
    private readonly long _headBytes;
    private readonly long _tailBytes;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private long _written;
    private long _tailHeld;
    private long _droppedLines;
    private long _droppedBytes;
    private bool _closed;

    /// <param name="path">The file, created or truncated.</param>
    /// <param name="maxBytes">Roughly the largest the file grows: half for the head, half for the tail.</param>
    public CappedLog(string path, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1024);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { AutoFlush = true };
        _headBytes = maxBytes / 2;
        _tailBytes = maxBytes - _headBytes;
    }

    /// <summary>Appends one line; ignored once the log is closed (a pump that outlived its process).</summary>
    public void WriteLine(string line)
    {
        var size = Encoding.UTF8.GetByteCount(line) + 1L;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (_written + size <= _headBytes && _tail.Count == 0)
            {
                _writer.WriteLine(line);
                _written += size;
                return;
            }

            // One line longer than the whole window keeps its start only.
            if (size > _tailBytes)
            {
                _droppedBytes += size - _tailBytes;
                line = line[..(int)Math.Min(line.Length, _tailBytes - 1)];
                size = Encoding.UTF8.GetByteCount(line) + 1L;
            }

            _tail.Enqueue(line);
            _tailHeld += size;
            while (_tailHeld > _tailBytes && _tail.Count > 0)
            {
                var dropped = _tail.Dequeue();
                var droppedSize = Encoding.UTF8.GetByteCount(dropped) + 1L;
                _tailHeld -= droppedSize;
                _droppedLines++;
                _droppedBytes += droppedSize;
            }
        }
    }

    /// <summary>Writes the marker and the tail window, and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_droppedLines > 0 || _droppedBytes > 0)
            {
                _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[autoresearch] log capped at {(_headBytes + _tailBytes) / (1024.0 * 1024.0):0.#} MB: {_droppedLines} lines ({_droppedBytes / (1024.0 * 1024.0):0.#} MB) dropped here; the start and the end are kept"));
            }

            foreach (var line in _tail)
            {
                _writer.WriteLine(line);
            }

            _writer.Dispose();
        }
    }
}
