#!/usr/bin/env bash
# Issue 18: KD step memory with and without --gradient-checkpointing (BENCHMARKS.md, "Gradient checkpointing").
# SD1.5-size teacher with random weights, BK-tiny student pruned from it on the fly, one variant per JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true DJL_OFFLINE=true
out=${1:-/tmp/bkd-checkpointing}
mkdir -p "$out"
uptime
./bkd benchmark --variants tiny --size 256 --steps 1 --isolate --json "$out/kd256.json"
./bkd benchmark --variants tiny --size 256 --steps 1 --isolate --gradient-checkpointing --json "$out/kd256-ckpt.json"
./bkd benchmark --variants tiny --size 512 --steps 1 --isolate --gradient-checkpointing --json "$out/kd512-ckpt.json"
# the tiny reference UNet, where activations rather than weights dominate
ref=${BKD_REF:-/work/shared/reference/sd-tiny/models}
./bkd benchmark --model "$ref" --variants sd_tiny --size 512 --batch 8 --steps 1 --isolate --json "$out/ref512b8.json"
./bkd benchmark --model "$ref" --variants sd_tiny --size 512 --batch 8 --steps 1 --isolate --gradient-checkpointing \
    --json "$out/ref512b8-ckpt.json"
uptime
