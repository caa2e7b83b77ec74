#!/usr/bin/env python3
"""The PyTorch/diffusers side of `bkd benchmark`, measuring the same work the same way.

Measures one variant per process (like `bkd benchmark --isolate`):
  forward  one UNet forward under torch.no_grad(): one warm-up, then --steps timed runs
  KD step  teacher forward under no_grad + student forward/backward of MSE(student out, teacher out)
           + one torch.optim.AdamW update (lr 1e-5) of every student parameter, then zero_grad(set_to_none)
Peak RSS is the kernel's VmHWM; the counter is reset (/proc/self/clear_refs = 5) after the models are built, exactly
where VariantBenchmark resets it, so both sides count weights + the measured work.

The teacher is diffusers' UNet2DConditionModel built from bkd's bundled SD1.5 config (random weights); the BK-SDM
students are diffusers configs as nota-ai publishes them (BK-SDM-Base/Small/Tiny: layers_per_block 1, no mid block
for small/tiny, tiny also without the innermost stage). Their parameter counts are printed and must equal the
published figures (859,520,964 / 579,384,964 / 482,346,884 / 323,384,964), which checks the configs.

Environment used for BENCHMARKS.md (see there): Debian's python3-torch 1.13.1 and diffusers v0.21.4 sources on
PYTHONPATH (PyPI is not reachable here). Writes one JSON object to --json.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SD15 = os.path.join(ROOT, "bkd-core/src/main/resources/dev/bkd/core/config/unet/sd15.json")
PUBLISHED_PARAMS = {"teacher": 859_520_964, "base": 579_384_964, "small": 482_346_884, "tiny": 323_384_964}


def config(variant):
    with open(SD15) as f:
        c = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    if variant == "teacher":
        return c
    c["layers_per_block"] = 1
    if variant == "base":
        return c
    c["mid_block_type"] = None
    if variant == "small":
        return c
    if variant == "tiny":
        c["block_out_channels"] = c["block_out_channels"][:3]
        c["down_block_types"] = ["CrossAttnDownBlock2D"] * 3
        c["up_block_types"] = ["CrossAttnUpBlock2D"] * 3
        return c
    raise SystemExit(f"unknown variant {variant!r} (teacher, base, small, tiny)")


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def inputs(cfg, size, batch, tokens):
    lat = size // 8
    return (torch.randn(batch, cfg["in_channels"], lat, lat), torch.randn(batch, tokens, cfg["cross_attention_dim"]))


def timing(runs):
    return {"median_s": statistics.median(runs), "min_s": min(runs), "runs_s": runs}


def main():
    from diffusers import UNet2DConditionModel  # noqa: E402 (import after argument errors)

    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="teacher")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=77)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--kd", action="store_true", help="measure the KD step (the teacher is built too)")
    ap.add_argument("--no-forward", action="store_true", help="skip the forward timings (KD step only)")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    t0 = time.time()
    model = UNet2DConditionModel(**config(a.variant)).eval()
    params = sum(p.numel() for p in model.parameters())
    teacher = None
    if a.kd and a.variant != "teacher":
        teacher = UNet2DConditionModel(**config("teacher")).eval().requires_grad_(False)
    print(f"pytorch {torch.__version__}: {a.variant} {params:,} parameters (published {PUBLISHED_PARAMS[a.variant]:,}),"
          f" built in {time.time() - t0:.1f} s, {torch.get_num_threads()} threads", flush=True)
    if params != PUBLISHED_PARAMS[a.variant]:
        raise SystemExit(f"{a.variant}: {params} parameters, published {PUBLISHED_PARAMS[a.variant]}: config differs")

    cfg = config(a.variant)
    out = {"side": "pytorch", "torch": torch.__version__, "variant": a.variant, "size": a.size, "batch": a.batch,
           "threads": torch.get_num_threads(), "parameters": params, "load_before": os.getloadavg()[0]}

    def forward(x, ctx):
        with torch.no_grad():
            model(x, 500, ctx).sample.numpy()

    def kd_step(x, ctx):
        with torch.no_grad():
            target = teacher(x, 500, ctx).sample
        torch.nn.functional.mse_loss(model(x, 500, ctx).sample, target).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def measure(name, rss_key, label, step):
        """One warm-up, then --steps timed runs of step on fresh inputs; the peak RSS since the counter was reset."""
        reset_peak_rss()
        runs = []
        for i in range(a.steps + 1):
            x, ctx = inputs(cfg, a.size, a.batch, a.tokens)
            s = time.perf_counter()
            step(x, ctx)
            if i > 0:
                runs.append(time.perf_counter() - s)
        out[name] = timing(runs)
        out[rss_key] = peak_rss()
        print(f"{label} {a.size} px: median {out[name]['median_s']:.3f} s (fastest {out[name]['min_s']:.3f}),"
              f" peak RSS {out[rss_key] / 1e9:.2f} GB", flush=True)

    if not a.no_forward:
        measure("forward", "forward_peak_rss_bytes", "forward", forward)
    if teacher is not None:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        measure("kd_step", "kd_peak_rss_bytes", "KD step", kd_step)
    out["load_after"] = os.getloadavg()[0]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
