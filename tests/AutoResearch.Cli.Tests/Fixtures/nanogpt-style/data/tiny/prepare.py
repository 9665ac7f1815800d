"""Writes train.bin and val.bin for the tiny dataset (run once before training; the files are not committed)."""
import os
import random

here = os.path.dirname(__file__)
rng = random.Random(0)
for split, size in (("train", 8192), ("val", 1024)):
    with open(os.path.join(here, f"{split}.bin"), "wb") as f:
        f.write(bytes(rng.randrange(65) for _ in range(size)))
