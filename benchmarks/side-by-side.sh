#!/usr/bin/env bash
# Issue 18: bkd against PyTorch/diffusers on the same machine in one run, alternating the two so load drifts hit
# both (BENCHMARKS.md, "Side by side with PyTorch"). Cases: the SD1.5 UNet forward at 512 px, and one KD step at
# 256 px (SD1.5 teacher without gradients + BK-tiny forward/backward + AdamW). Each run is its own process: one
# warm-up, then --steps timed runs; the summary pools the timed runs per side (fastest, median) and takes the
# median peak RSS.
#
#   [CASES="fwd512 kd256"] [THREADS=N] benchmarks/side-by-side.sh [OUT_DIR] [ROUNDS] [STEPS]
#
# Needs a python3 with torch and diffusers importable: PYTHON (default /usr/bin/python3) and PYTHONPATH as set by
# the caller (BENCHMARKS.md says how the environment for the published tables was made).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/bkd-side-by-side}
rounds=${2:-3}
steps=${3:-2}
threads=${THREADS:-$(nproc)}
py=${PYTHON:-/usr/bin/python3}
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true DJL_OFFLINE=true
mkdir -p "$out"
"$py" -c "import torch, diffusers" || { echo "side-by-side: $py cannot import torch and diffusers" >&2; exit 2; }
./bkd --version >/dev/null # builds the CLI first, outside the timed runs
for r in $(seq 1 "$rounds"); do
  for case in ${CASES:-fwd512 kd256}; do
    if [ "$case" = fwd512 ]; then
      bkd_args=(--size 512 --no-train --variants teacher); py_args=(--variant teacher --size 512)
    else
      bkd_args=(--size 256 --variants tiny); py_args=(--variant tiny --size 256 --kd)
    fi
    # alternate which side goes first, so neither always runs on a machine the other just warmed or loaded
    sides=(bkd pytorch); [ $((r % 2)) = 0 ] && sides=(pytorch bkd)
    for side in "${sides[@]}"; do
      echo "== round $r $case $side, load $(cut -d' ' -f1-3 /proc/loadavg)"
      if [ "$side" = bkd ]; then
        ./bkd benchmark "${bkd_args[@]}" --steps "$steps" --threads "$threads" --json "$out/$case-bkd-$r.json" \
          | grep -E '^(teacher|tiny) '
      else
        "$py" benchmarks/pytorch_bench.py "${py_args[@]}" --steps "$steps" --threads "$threads" \
          --json "$out/$case-pytorch-$r.json" 2>/dev/null | grep -E '^(forward|KD)'
      fi
    done
  done
done
"$py" benchmarks/side_by_side_summary.py "$out"
