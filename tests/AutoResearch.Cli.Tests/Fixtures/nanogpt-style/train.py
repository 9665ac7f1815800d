"""
A training script in nanoGPT's conventions, without torch: defaults as module globals, overridden by a config file
executed with exec(), a fixed seed in the code, an eval line every eval_interval steps, a checkpoint written to out_dir
after evaluation. The "loss" is a smooth function of the hyperparameters (best near learning_rate 1.5e-3) with a small
wobble from the seeded random generator, so a better config really trains to a lower val loss.
"""
import math
import os
import random
import sys
import time

from model import GPTConfig, num_params

# default config values
out_dir = 'out'
eval_interval = 2000
eval_iters = 200
log_interval = 1
always_save_checkpoint = True
dataset = 'openwebtext'
gradient_accumulation_steps = 5 * 8
batch_size = 12
block_size = 1024
n_layer = 12
n_head = 12
n_embd = 768
dropout = 0.0
learning_rate = 6e-4
max_iters = 600000
lr_decay_iters = 600000
min_lr = 6e-5
beta2 = 0.95
warmup_iters = 2000
device = 'cuda'
compile = True

# the configurator: python train.py config/xyz.py runs the config file over the defaults above
for arg in sys.argv[1:]:
    exec(open(arg).read())

random.seed(1337)  # fixed in the code, as many training scripts do

data_dir = os.path.join('data', dataset)
train_data = open(os.path.join(data_dir, 'train.bin'), 'rb').read()
val_data = open(os.path.join(data_dir, 'val.bin'), 'rb').read()

config = GPTConfig(block_size=block_size, n_layer=n_layer, n_head=n_head, n_embd=n_embd, dropout=dropout)
print(f"number of parameters: {num_params(config) / 1e6:.2f}M")


def loss_at(it):
    progress = min(1.0, it / max(1, max_iters))
    floor = 1.45 + 0.30 * (math.log10(learning_rate) - math.log10(1.5e-3)) ** 2
    floor += 0.02 * abs(n_layer - 6) + 0.03 * abs(math.log2(batch_size / 16)) + 0.5 * dropout + 4.0 * (0.99 - beta2) ** 2
    start = 4.17
    return floor + (start - floor) * math.exp(-5.0 * progress)


t0 = time.time()
for it in range(max_iters + 1):
    if it % eval_interval == 0 or it == max_iters:
        train_loss = loss_at(it) + random.gauss(0, 0.002)
        val_loss = loss_at(it) + 0.03 + random.gauss(0, 0.002)
        print(f"step {it}: train loss {train_loss:.4f}, val loss {val_loss:.4f}")
        if it > 0 or always_save_checkpoint:
            os.makedirs(out_dir, exist_ok=True)
            with open(os.path.join(out_dir, 'ckpt.pt'), 'wb') as f:
                f.write(random.randbytes(64 * 1024))
    elif it % log_interval == 0:
        dt = (time.time() - t0) * 1000
        t0 = time.time()
        print(f"iter {it}: loss {loss_at(it):.4f}, time {dt:.2f}ms")
