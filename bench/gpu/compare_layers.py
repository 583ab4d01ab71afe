#!/usr/bin/env python3
"""Joins the per-layer timings of jgan (jgan.bench.ConvLayers --json) and of PyTorch + cuDNN
(conv_layers_torch.py --json), measured in the same call of run.sh, into one table:

  layer, pass, math, jgan ms, cuDNN ms, jgan / cuDNN time, jgan GFLOP/s and fraction of the
  H200's peak (FP32 67, TF32 495 TFLOP/s) for convolutions, GB/s for batch norm.

Usage: compare_layers.py JGAN.jsonl TORCH.jsonl
"""
import json
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows[(r["layer"], r["pass"], r["math"])] = r
    return rows


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    jgan, torch = load(sys.argv[1]), load(sys.argv[2])
    if not jgan:
        print(f"compare_layers: no jgan rows in {sys.argv[1]}", file=sys.stderr)
        return 1
    print(f"{'layer':10} {'pass':8} {'math':5} {'jgan ms':>9} {'cuDNN ms':>9} {'jgan/cuDNN':>10} {'jgan GFLOP/s':>12} {'of peak':>8} {'jgan GB/s':>9}")
    ratios = []
    for key in sorted(jgan, key=lambda k: (k[2], k[0], k[1])):
        j = jgan[key]
        t = torch.get(key)
        ratio = j["ms"] / t["ms"] if t else None
        if ratio:
            ratios.append(ratio)
        print(f"{key[0]:10} {key[1]:8} {key[2]:5} {j['ms']:9.4f} "
              f"{(t['ms'] if t else float('nan')):9.4f} {(ratio if ratio else float('nan')):10.2f} "
              f"{j.get('gflops', float('nan')):12.0f} "
              f"{(100 * j['peak_fraction']) if 'peak_fraction' in j else float('nan'):7.1f}% "
              f"{j.get('gbytes_per_s', float('nan')):9.0f}")
    if ratios:
        ratios.sort()
        print(f"\njgan / cuDNN time over {len(ratios)} layer passes: median {ratios[len(ratios) // 2]:.2f}, "
              f"best {ratios[0]:.2f}, worst {ratios[-1]:.2f} (below 1: jgan faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
