#!/usr/bin/env python3
"""The DCGAN-64 step table of bench/gpu/step.sh: jgan's fused step (graph replay and plain launches,
parsed from `jgan bench` output) beside PyTorch's (torch_step_gpu.py's JSON lines: eager, CUDA graph,
torch.compile), TF32 off and on, all measured in the same call.

  step_summary.py jgan BENCH_OUTPUT TF32(true|false) NZ NGF NDF   -> JSON lines of jgan's rows (stdout)
  step_summary.py table ROWS.jsonl...                              -> the table

Columns: ms per step (median, min, max), images/s (batch / mean ms), TFLOP/s of useful work and its
fraction of the H200's datasheet peak (TF32 dense 495, FP32 67 TFLOP/s), and jgan's time over
PyTorch eager's and over PyTorch-with-CUDA-graph's at the same TF32 setting (issue 10's targets:
at most 0.5 and 0.8). FLOP per step: 2 x multiply-adds x (3 G passes + 8 D passes: D runs 3
forwards, 3 data gradients and 2 weight gradients; the G update needs no D weight gradient),
multiply-adds counted from the layer shapes (macs_per_image; checked against PyTorch's FlopCounter:
104.6 M for G, 103.8 M for D per image).
"""
import json
import re
import sys

H200_PEAK_TFLOPS = {False: 67.0, True: 495.0}  # FP32, TF32 dense (datasheet)


def macs_per_image(nz, ngf, ndf, nc=3):
    """Multiply-adds of one image through DCGAN-64's G and D convolutions (forward), from the shapes."""
    g = [(nz, ngf * 8, 1), (ngf * 8, ngf * 4, 4), (ngf * 4, ngf * 2, 8), (ngf * 2, ngf, 16), (ngf, nc, 32)]
    g_macs = sum(size * size * cin * cout * 16 for cin, cout, size in g)  # convT: every input pixel x 4x4 x cout
    d = [(nc, ndf, 32), (ndf, ndf * 2, 16), (ndf * 2, ndf * 4, 8), (ndf * 4, ndf * 8, 4), (ndf * 8, 1, 1)]
    d_macs = sum(out * out * cin * cout * 16 for cin, cout, out in d)  # conv: every output pixel x 4x4 x cin
    return g_macs, d_macs


def flop_per_step(batch, nz, ngf, ndf):
    g, d = macs_per_image(nz, ngf, ndf)
    return 2 * (3 * g + 8 * d) * batch


def jgan_rows(path, tf32, nz, ngf, ndf):
    text = open(path, errors="replace").read()
    m = re.search(r"fused step, dcgan (\d+) x ", text)
    if not m:
        return []
    batch = int(m.group(1))
    flop = flop_per_step(batch, nz, ngf, ndf)
    rows = []
    for mode, name in (("graph", "graph replay"), ("plain", "plain launches")):
        r = re.search(rf"^{name}\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$", text, re.M)
        if not r:
            continue
        sps, med, lo, hi = map(float, r.groups())
        mean = 1e3 / sps
        rows.append({"impl": "jgan", "mode": mode, "tf32": tf32, "batch": batch, "ms_median": med, "ms_min": lo, "ms_max": hi,
                     "ms_mean": mean, "images_per_s": batch * sps, "flop_per_step": flop, "tflops": flop / (mean / 1e3) / 1e12,
                     "peak_fraction": flop / (mean / 1e3) / 1e12 / H200_PEAK_TFLOPS[tf32]})
    return rows


def table(paths):
    rows = []
    for p in paths:
        try:
            for line in open(p):
                if line.startswith("{"):
                    rows.append(json.loads(line))
        except OSError as e:
            print(f"({p}: {e})")
    if not rows:
        print("no step rows (see the files above)")
        return 1
    ref = {(r["mode"], r["tf32"]): r for r in rows if r["impl"] == "torch"}
    print(f"{'impl':<6} {'mode':<8} {'tf32':<5} {'batch':>5} {'ms median':>10} {'min':>8} {'max':>8} {'images/s':>10} {'TFLOP/s':>8}"
          f" {'of peak':>8} {'/eager':>7} {'/graph':>7}")
    for tf32 in (False, True):
        for r in rows:
            if r["tf32"] != tf32:
                continue
            ratio = lambda mode: (f"{r['ms_mean'] / ref[(mode, tf32)]['ms_mean']:7.2f}" if (mode, tf32) in ref else f"{'-':>7}")
            print(f"{r['impl']:<6} {r['mode']:<8} {'on' if tf32 else 'off':<5} {r['batch']:5d} {r['ms_median']:10.3f} {r['ms_min']:8.3f}"
                  f" {r['ms_max']:8.3f} {r['images_per_s']:10.0f} {r['tflops']:8.2f} {100 * r['peak_fraction']:7.2f}%"
                  f" {ratio('eager')} {ratio('graph')}" + (f"  (compile {r['compile_s']} s)" if "compile_s" in r else ""))
    print("ratios: mean ms per step over PyTorch eager's / PyTorch CUDA graph's at the same TF32 setting"
          " (issue 10's targets for jgan: <= 0.5 and <= 0.8)")
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "jgan" and len(sys.argv) == 7:
        for r in jgan_rows(sys.argv[2], sys.argv[3] == "true", *map(int, sys.argv[4:7])):
            print(json.dumps(r))
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "table":
        return table(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
