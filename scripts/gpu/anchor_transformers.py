"""The GPU anchor: Hugging Face transformers (PyTorch, bf16, sdpa attention) scoring Qwen3-Reranker-0.6B-shaped
pairs on the device machine, so an engine's GPU throughput can be compared with it in the same call.

Usage (on the device machine, where python3 has torch and transformers):
  python3 anchor_transformers.py [--model HF_DIR] [--batch 64] [--len 320] [--iters 8]
  python3 anchor_transformers.py --mixed 100:600 [--pairs 256] [--batch 64] [--iters 3]
With --mixed, pair lengths are drawn uniformly from MIN..MAX (seed 0) and scored in batches of --batch in
arrival order, each padded on the right to its longest pair (causal attention: real tokens never see the
padding), reading each pair's last real position; --lengths FILE (a JSON array) replays given lengths instead.
Without --model it builds random weights in the Qwen3-Reranker-0.6B shape (the cost of a forward pass does not
depend on the values). It computes only the last position's hidden state and the two logits ('yes', 'no'),
which is the fair, already-optimised use of transformers. Prints one JSON line.
"""
import argparse, json, time
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--model")
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--len", type=int, default=320)
ap.add_argument("--iters", type=int, default=8)
ap.add_argument("--mixed", help="MIN:MAX pair lengths, batched in arrival order and padded to each batch's longest")
ap.add_argument("--pairs", type=int, default=256, help="pairs of the --mixed workload")
ap.add_argument("--lengths", help="JSON file with the --mixed pair lengths to use (e.g. the engine bench's), instead of drawing them")
a = ap.parse_args()

if a.model:
    m = Qwen3ForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16).cuda().eval()
else:
    cfg = Qwen3Config(vocab_size=151669, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                      num_attention_heads=16, num_key_value_heads=8, head_dim=128, max_position_embeddings=40960,
                      rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)
    with torch.device("cuda"):
        m = Qwen3ForCausalLM(cfg).to(torch.bfloat16).eval()
nonemb = sum(p.numel() for n, p in m.named_parameters() if "embed" not in n and "lm_head" not in n)
W = m.lm_head.weight[[9693, 2152]]
ids = torch.randint(0, 151000, (a.batch, a.len), device="cuda")

def step():
    with torch.no_grad():
        return m.model(input_ids=ids).last_hidden_state[:, -1] @ W.T

if a.mixed:
    lo, hi = (int(x) for x in a.mixed.split(":"))
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(lo, hi + 1, (a.pairs,), generator=g)
    if a.lengths:
        with open(a.lengths) as f:
            lengths = torch.tensor(json.load(f))
        a.pairs = len(lengths)
    batches = []
    for i in range(0, a.pairs, a.batch):
        b = lengths[i:i + a.batch]
        batches.append((torch.randint(0, 151000, (len(b), int(b.max())), device="cuda"), (b - 1).cuda(), torch.arange(len(b), device="cuda")))

    def step():
        with torch.no_grad():
            return [m.model(input_ids=x).last_hidden_state[rows, last] @ W.T for x, last, rows in batches]

for _ in range(2):
    step()
torch.cuda.synchronize()
t = time.time()
for _ in range(a.iters):
    step()
torch.cuda.synchronize()
dt = (time.time() - t) / a.iters
if a.mixed:
    real = int(lengths.sum())
    padded = sum(int(x.shape[0] * x.shape[1]) for x, _, _ in batches)
    print(json.dumps({"engine": "transformers-sdpa-bf16", "gpu": torch.cuda.get_device_name(0), "workload": "mixed",
                      "order": "arrival-padded", "pairs": a.pairs, "lengths": a.mixed.replace(":", "-"), "max_batch": a.batch,
                      "s_per_pass": dt, "pairs_per_s": a.pairs / dt, "tokens_per_s": real / dt,
                      "padding_fraction": 1 - real / padded}))
else:
    print(json.dumps({"engine": "transformers-sdpa-bf16", "gpu": torch.cuda.get_device_name(0), "batch": a.batch,
                      "len": a.len, "s_per_batch": dt, "pairs_per_s": a.batch / dt, "tokens_per_s": a.batch * a.len / dt,
                      "linear_tflops": 2 * nonemb * a.batch * a.len / dt / 1e12}))
