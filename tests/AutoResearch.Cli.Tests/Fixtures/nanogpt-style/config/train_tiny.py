# train a tiny character-level model on CPU, in a few seconds
# good for checking that everything works end to end

out_dir = 'out-tiny'
eval_interval = 50
eval_iters = 20
log_interval = 10

always_save_checkpoint = False

dataset = 'tiny'
gradient_accumulation_steps = 1
batch_size = 12
block_size = 64

# a baby model
n_layer = 4
n_head = 4
n_embd = 128
dropout = 0.0

learning_rate = 1e-2 # too high for a model this small
max_iters = 200
lr_decay_iters = 200
min_lr = 1e-4
beta2 = 0.99

warmup_iters = 10
device = 'cpu'
compile = False
