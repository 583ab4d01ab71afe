#!/usr/bin/env bash
# seeds.sh OUT_DIR [DEVICE] [extra train options] — trains the default GAN on ring8 and grid25
# for seeds 1..5 (JGAN_SEEDS overrides; JGAN_DATA="ring8" or "grid25" trains one mixture), then
# prints PacGAN's Table 1 numbers per run, their means, the wall time of each run, and PacGAN's
# rows under them. Extra options go to every run (e.g. --pack 2 --ema 0.999 --lr-schedule cosine;
# bench/toy/sweep.sh runs this for a list of such settings). PacGAN (Lin et al. 2018), Table 1:
#   ring8:  GAN 6.3 modes, 98.2% high quality, reverse KL 0.45; PacGAN2 7.9, 95.6%, 0.07
#   grid25: GAN 17.3 modes, 94.8%, 0.70;                        PacGAN2 23.8, 91.3%, 0.13
set -euo pipefail
out="${1:?usage: seeds.sh OUT_DIR [DEVICE] [train options]}"; shift
device="${1:-auto}"; [ $# -gt 0 ] && shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seeds="${JGAN_SEEDS:-1 2 3 4 5}"
mkdir -p "$out"
datas="${JGAN_DATA:-ring8 grid25}"
for data in $datas; do
  for seed in $seeds; do
    run="$out/$data-seed$seed"
    start=$(date +%s%N)
    "$root/jgan" train --data "$data" --seed "$seed" --device "$device" --out "$run" --force "$@" > "$run.log" 2>&1 \
      || { echo "run $run failed:"; tail -5 "$run.log"; exit 1; }
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 ))" > "$run/wall_ms.txt"
  done
done
python3 - "$out" "$datas" $seeds <<'PY'
import json, sys, os
out, datas, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
# PacGAN (Lin et al. 2018) Table 1: modes, high-quality %, reverse KL
pacgan = {"ring8": [("GAN", 6.3, 98.2, 0.45), ("PacGAN2", 7.9, 95.6, 0.07)],
          "grid25": [("GAN", 17.3, 94.8, 0.70), ("PacGAN2", 23.8, 91.3, 0.13)]}
for data in datas:
    rows = []
    for s in seeds:
        run = os.path.join(out, f"{data}-seed{s}")
        m = json.load(open(os.path.join(run, "metrics.json")))
        wall = int(open(os.path.join(run, "wall_ms.txt")).read()) / 1000
        rows.append((s, m["modes_captured"], m["modes"], 100 * m["high_quality_fraction"], m["reverse_kl"], wall))
    print(f"{data}: seed  modes  high-quality  reverse-KL  wall(s)")
    for s, c, k, hq, kl, w in rows:
        print(f"{'':8}{s:>4}  {c:>2}/{k:<2}  {hq:10.1f}%  {kl:10.3f}  {w:7.1f}")
    n = len(rows)
    print(f"{'mean':>12}  {sum(r[1] for r in rows)/n:5.1f}  {sum(r[3] for r in rows)/n:10.1f}%  "
          f"{sum(r[4] for r in rows)/n:10.3f}  {sum(r[5] for r in rows)/n:7.1f}")
    for name, c, hq, kl in pacgan[data]:
        print(f"{name:>12}  {c:5.1f}  {hq:10.1f}%  {kl:10.3f}  (PacGAN Table 1)")
    print()
PY
