"""The PyTorch side of bench/tinygpt-vs-pytorch: the same model, optimizer, data and scoring as
templates/tinygpt/train.cs, on the same CPU, for the same time budget.

Model: GPT-2 style, 4 layers, 4 heads, width 128, context 128, learned positions, pre-norm LayerNorm,
GELU (tanh approximation), tied embeddings, no dropout, float32, byte vocabulary (256).
Optimizer: AdamW lr 1e-3 (constant), betas (0.9, 0.95), eps 1e-8, weight decay 0, gradient clipping at 1.0.
Data: the last 10% of the bytes is validation; random training windows of 129 bytes, batch 16.
Score: mean cross-entropy in bits over every validation target, windows of 128, scored once each.

Usage: python3 train_torch.py DATA [SECONDS]   (set LD_LIBRARY_PATH to the OpenMP OpenBLAS first)
"""
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

T0 = time.time()
N_LAYER, N_HEAD, N_EMBD, BLOCK_SIZE, BATCH_SIZE = 4, 4, 128, 128, 16
LEARNING_RATE, BETAS, WEIGHT_DECAY, GRAD_CLIP = 1e-3, (0.9, 0.95), 0.0, 1.0
THREADS = int(os.environ.get("AUTORESEARCH_THREADS", "2"))
SEED = int(os.environ.get("AUTORESEARCH_SEED", "42"))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(N_EMBD)
        self.attn = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.proj = nn.Linear(N_EMBD, N_EMBD)
        self.ln2 = nn.LayerNorm(N_EMBD)
        self.fc = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.fc2 = nn.Linear(4 * N_EMBD, N_EMBD)
        self.register_buffer("mask", torch.tril(torch.ones(BLOCK_SIZE, BLOCK_SIZE, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.attn(self.ln1(x)).split(N_EMBD, dim=2)
        q = q.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)
        k = k.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)
        v = v.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(256, N_EMBD)
        self.wpe = nn.Embedding(BLOCK_SIZE, N_EMBD)
        self.blocks = nn.ModuleList([Block() for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(N_EMBD)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * N_LAYER) if name.endswith(("proj.weight", "fc2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()


def evaluate_bpb(model, val):
    """Every target of the validation split once: full windows, then one overlapping window for the rest."""
    n, t = len(val), BLOCK_SIZE
    windows, s = [], 0
    while s + t + 1 <= n:
        windows.append((s, 0))
        s += t
    if s < n - 1:
        windows.append((n - 1 - t, s - (n - 1 - t)))
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for w0 in range(0, len(windows), BATCH_SIZE):
            chunk = windows[w0:w0 + BATCH_SIZE]
            x = torch.stack([torch.from_numpy(val[a:a + t].copy()) for a, _ in chunk]).long()
            y = torch.stack([torch.from_numpy(val[a + 1:a + t + 1].copy()) for a, _ in chunk]).long()
            nll = F.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1), reduction="none").view(len(chunk), t).double()
            for i, (_, first) in enumerate(chunk):
                total += nll[i, first:].sum().item()
                count += t - first
    return total / count / math.log(2)


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    data = np.frombuffer(open(sys.argv[1], "rb").read(), dtype=np.uint8)
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    split = len(data) - int(len(data) * 0.1)
    train, val = data[:split], data[split:]
    rng = np.random.default_rng(SEED)
    model = Gpt()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, betas=BETAS, eps=1e-8, weight_decay=WEIGHT_DECAY)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, budget {budget} s, "
          f"params {sum(p.numel() for p in model.parameters())}", flush=True)
    steps, tokens, start, loss_value = 0, 0, time.time(), float("nan")
    next_report, step_seconds = 0.0, []
    while time.time() - start < budget:
        step_start = time.perf_counter()
        offsets = rng.integers(0, len(train) - BLOCK_SIZE, BATCH_SIZE)
        x = torch.from_numpy(np.stack([train[o:o + BLOCK_SIZE] for o in offsets])).long()
        y = torch.from_numpy(np.stack([train[o + 1:o + BLOCK_SIZE + 1] for o in offsets])).long()
        loss = F.cross_entropy(model(x).view(-1, 256), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()
        steps += 1
        tokens += BATCH_SIZE * BLOCK_SIZE
        step_seconds.append(time.perf_counter() - step_start)
        loss_value = loss.item()
        fraction = (time.time() - start) / budget
        if fraction >= next_report:
            print(f"progress: {min(fraction, 1) * 100:.0f}% loss: {loss_value:.4f}", flush=True)
            next_report += 0.05
    training_seconds = time.time() - start
    median = sorted(step_seconds[1:] or step_seconds)[len(step_seconds[1:] or step_seconds) // 2]
    print(f"profile: median step {median * 1000:.2f} ms, {BATCH_SIZE * BLOCK_SIZE / median:.0f} tokens/s at the median (robust to other processes)")
    bpb = evaluate_bpb(model, val)
    print("---")
    print(f"val_bpb:          {bpb:.6f}")
    print(f"training_seconds: {training_seconds:.1f}")
    print(f"total_seconds:    {time.time() - T0:.1f}")
    print(f"peak_memory_mb:   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
    print(f"tokens_per_sec:   {tokens / training_seconds:.0f}")
    print(f"total_tokens_M:   {tokens / 1e6:.1f}")
    print(f"num_steps:        {steps}")
    print(f"num_params_M:     {sum(p.numel() for p in model.parameters()) / 1e6:.1f}")


if __name__ == "__main__":
    main()
