using System.Diagnostics.CodeAnalysis;

namespace AutoResearch.Nn;

/// <summary>
/// A persistent pool of worker threads for the big kernels. The calling thread is worker 0 and takes
/// chunks too; idle workers spin briefly and then sleep, so a burst of small ops costs no thread wake-ups.
/// </summary>
/// <remarks>
/// Chunks are independent and each writes its own part of the output, so results do not depend on
/// which thread runs which chunk, nor on the number of threads.
/// </remarks>
public sealed class WorkerPool
{
    private static WorkerPool? Instance { get; set; }
    private readonly int[] _sleeping;
    private readonly SemaphoreSlim[] _wake;
    private readonly Lock _gate = new();
    private ParallelJob? _job;
    private int _count;
    private int _next;
    private int _pending;
    private long _generation;

    private WorkerPool(int threads)
    {
        Threads = threads;
        var workers = threads - 1;
        _sleeping = new int[workers];
        _wake = new SemaphoreSlim[workers];
        for (var i = 0; i < workers; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            var id = i;
            var thread = new Thread(() => WorkerLoop(id)) { IsBackground = true, Name = $"nn-worker-{i + 1}" };
            thread.Start();
        }
    }

    /// <summary>Number of threads taking part in each parallel kernel, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// The pool the kernels use. Created on first use with <see cref="Environment.ProcessorCount"/> threads
    /// unless <see cref="Configure"/> was called first.
    /// </summary>
    public static WorkerPool Shared => Instance ??= new WorkerPool(Environment.ProcessorCount);

    /// <summary>Sets the number of threads of <see cref="Shared"/>; call once, before the first kernel runs.</summary>
    /// <exception cref="InvalidOperationException">The shared pool already exists with another thread count.</exception>
    public static void Configure(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (Instance is not null && Instance.Threads != threads)
        {
            throw new InvalidOperationException($"the worker pool already runs {Instance.Threads} threads; configure it before the first kernel");
        }

        Instance ??= new WorkerPool(threads);
    }

    /// <summary>Runs <paramref name="job"/> for every index in [0, count) and returns when all are done.</summary>
    internal void Run(ParallelJob job, int count)
    {
        if (count <= 0)
        {
            return;
        }

        if (count == 1 || _wake.Length == 0)
        {
            for (var i = 0; i < count; i++)
            {
                job.Execute(i, 0);
            }

            return;
        }

        // One parallel kernel at a time: callers on other threads (tests, a second graph) wait here.
        lock (_gate)
        {
            _job = job;
            _count = count;
            _next = 0;
            _pending = _wake.Length;
            Interlocked.Increment(ref _generation);
            for (var i = 0; i < _wake.Length; i++)
            {
                if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                {
                    _wake[i].Release();
                }
            }

            Drain(job, 0);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
        }
    }

    private void Drain(ParallelJob job, int worker)
    {
        int index;
        while ((index = Interlocked.Increment(ref _next) - 1) < _count)
        {
            job.Execute(index, worker);
        }
    }

    [SuppressMessage("Design", "CA1031", Justification = "a worker must never die silently; the error is rethrown nowhere, so fail fast")]
    private void WorkerLoop(int id)
    {
        long seen = 0;
        while (true)
        {
            var gen = Volatile.Read(ref _generation);
            if (gen != seen)
            {
                seen = gen;
                try
                {
                    Drain(_job!, id + 1);
                }
                catch (Exception e)
                {
                    Environment.FailFast("a kernel failed on a worker thread", e);
                }

                Interlocked.Decrement(ref _pending);
                continue;
            }

            // Spin a little (about 0.2 ms here): ops come in quick bursts, and a wake-up from sleep costs
            // microseconds. Not longer: when another process takes a core, a spinning worker would steal
            // time from the thread that has the serial work.
            var found = false;
            for (var i = 0; i < 200; i++)
            {
                if (Volatile.Read(ref _generation) != seen)
                {
                    found = true;
                    break;
                }

                Thread.SpinWait(20);
            }

            if (found)
            {
                continue;
            }

            Interlocked.Exchange(ref _sleeping[id], 1);
            if (Volatile.Read(ref _generation) != seen && Interlocked.Exchange(ref _sleeping[id], 0) == 1)
            {
                continue; // work arrived before anyone saw us asleep; no wake-up is coming
            }

            _wake[id].Wait();
        }
    }
}
