"""Editable half: the model and its training. Prints a summary the harness reads."""
import math
import time

from prepare import TIME_BUDGET, evaluate_bpb, split

SMOOTHING = 1.0  # add-k smoothing of the bigram counts


def main():
    start = time.time()
    train, _ = split()
    counts = [[0] * 256 for _ in range(256)]
    n = len(train) - 1
    for i, (a, b) in enumerate(zip(train, train[1:])):
        counts[a][b] += 1
        if i % (n // 20) == 0:
            print(f"progress: {100 * i / n:.0f}% loss: 0")
        if time.time() - start > TIME_BUDGET:
            break
    totals = [sum(row) + 256 * SMOOTHING for row in counts]

    def logprob(a, b):
        return math.log((counts[a][b] + SMOOTHING) / totals[a])

    val_bpb = evaluate_bpb(logprob)
    print("---")
    print(f"val_bpb:          {val_bpb:.6f}")
    print(f"training_seconds: {time.time() - start:.1f}")
    print(f"peak_vram_mb:     0.0")


if __name__ == "__main__":
    main()
