"""A stand-in for a GPT model file: it only counts parameters, so the fixture needs no torch and no GPU."""
from dataclasses import dataclass


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 65
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


def num_params(config):
    per_layer = 12 * config.n_embd * config.n_embd
    return config.n_layer * per_layer + config.vocab_size * config.n_embd + config.block_size * config.n_embd
