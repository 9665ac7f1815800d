"""Fixed half of the experiment: data and evaluation. Read-only for the agent."""
import math
import os
import urllib.request

DATA_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "autoresearch", "tinyshakespeare.txt")
TIME_BUDGET = 300  # seconds of training


def load_bytes():
    """The corpus as bytes: AUTORESEARCH_DATA if set, else a cached download."""
    path = os.environ.get("AUTORESEARCH_DATA") or CACHE
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        try:
            urllib.request.urlretrieve(DATA_URL, CACHE)
        except OSError as e:
            raise SystemExit(f"cannot download {DATA_URL} ({e}); set AUTORESEARCH_DATA to a local copy")
        path = CACHE
    with open(path, "rb") as f:
        return f.read()


def split():
    data = load_bytes()
    n = int(len(data) * 0.9)
    return data[:n], data[n:]


def evaluate_bpb(logprob):
    """Bits per byte of the validation split; logprob(prev, next) returns a natural-log probability."""
    _, val = split()
    total = 0.0
    for a, b in zip(val, val[1:]):
        total -= logprob(a, b)
    return total / (len(val) - 1) / math.log(2)


if __name__ == "__main__":
    train, val = split()
    print(f"train bytes: {len(train)}, val bytes: {len(val)}")
