#!/usr/bin/env python3
"""PyTorch's DCGAN-64 training step on the GPU: the peer of jgan's fused step (jgan bench --model
dcgan --image-size 64), measured in the same call of bench/gpu/step.sh.

The step, as PyTorch's DCGAN example does it (and jgan's AdversarialStep): sample z, G forward, D on
the real batch and on the detached fake batch (separate BN statistics), BCE with logits, D backward
+ Adam, D on the fake batch again, G backward (non-saturating, target 1) + Adam. The real batch is a
fixed random tensor in [-1, 1] (data loading is not timed, as in jgan bench). The losses are summed
on the device, never read by the host inside the timed loop (jgan's step does not read them either).

Model: PyTorch's DCGAN example (nz 100, ngf = ndf = 64, 3 channels, no biases), init N(0, 0.02),
BN weight N(1, 0.02), biases 0; Adam lr 2e-4, betas (0.5, 0.999). All channels_last, FP32 storage.

Modes, each with TF32 off (FP32 math) and on (torch.backends.cuda.matmul / cudnn allow_tf32):
  eager    plain PyTorch (Adam foreach, zero_grad(set_to_none=True))
  graph    the whole step captured once in a CUDA graph (torch.cuda.graph; Adam(capturable=True),
           grads zeroed in place) and replayed: no Python or launch overhead left
  compile  G and D through torch.compile (default mode: Inductor's fused kernels, no CUDA graphs),
           the optimizer steps eager. Its compile time is printed and not timed.
Timing: a CUDA event after --warmup steps and after each of --steps steps; ms of step i = time
between events i-1 and i; median, min, max; images/s = batch / mean ms. FLOP per step: the useful
work, 2 x multiply-adds x (3 G passes: fprop, dgrad, wgrad; 8 D passes: 3 fprops, 3 dgrads, 2
wgrads: the G update needs no D weight gradient), counted from the layer shapes (about 2.3 GFLOP
per image); fraction of the H200's datasheet peak: TF32 dense 495, FP32 67 TFLOP/s.

Without CUDA (or --device cpu) it is a dry run: tiny sizes on the CPU (graph is skipped: CUDA
only; step.sh passes --compile-backend eager there, as Inductor's CPU build of the step took over 10
minutes on a loaded 2-core machine), so the script is known to work before GPU time is spent.

Output: one JSON object per line ({"impl": "torch", "mode", "tf32", "batch", "ms_median", "ms_min",
"ms_max", "steps", ...}), then a table.
"""
import argparse
import json
import statistics
import sys
import time

import torch

from step_summary import H200_PEAK_TFLOPS, macs_per_image  # beside this script
from torch_models import adversarial_step, dcgan64, init  # beside this script (the step's body is shared with the CPU peer)


def build(a, dev, mode):
    torch.manual_seed(0)
    g, d, _ = dcgan64(a.nz, a.ngf, a.ndf, flat_z=False)
    g.apply(init)
    d.apply(init)
    g = g.to(dev, memory_format=torch.channels_last)
    d = d.to(dev, memory_format=torch.channels_last)
    cap = mode == "graph"
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), capturable=cap)
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), capturable=cap)
    gf, df = g, d
    if mode == "compile":
        gf, df = torch.compile(g, backend=a.compile_backend), torch.compile(d, backend=a.compile_backend)
    real = (torch.rand(a.batch, 3, 64, 64, device=dev) * 2 - 1).contiguous(memory_format=torch.channels_last)
    ones = torch.ones(a.batch, 1, device=dev)
    zeros = torch.zeros(a.batch, 1, device=dev)
    losses = torch.zeros(2, device=dev)
    none = mode != "graph"  # a captured graph zeroes the grads in place (their addresses are in the graph)

    def step():
        z = torch.randn(a.batch, a.nz, 1, 1, device=dev).contiguous(memory_format=torch.channels_last)
        losses.add_(torch.stack(adversarial_step(gf, df, og, od, z, real, ones, zeros, set_to_none=none)))

    return step, losses


def timed(step, a, dev, sync):
    """ms of each of a.steps steps after a.warmup: CUDA events between consecutive steps (CPU: wall clock)."""
    for _ in range(a.warmup):
        step()
    sync()
    if dev.type == "cuda":
        ev = [torch.cuda.Event(enable_timing=True) for _ in range(a.steps + 1)]
        ev[0].record()
        for i in range(a.steps):
            step()
            ev[i + 1].record()
        torch.cuda.synchronize()
        return [ev[i].elapsed_time(ev[i + 1]) for i in range(a.steps)]
    ts = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1e3)
    return ts


def run_mode(a, dev, mode, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    step, losses = build(a, dev, mode)
    extra = {}
    if mode == "graph":
        # warm up on a side stream (allocates grads and Adam's state outside the graph), then capture one step
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        run = graph.replay
    elif mode == "compile":
        t0 = time.perf_counter()
        for _ in range(2):  # the compiles (forward and backward of G and D) happen here, untimed
            step()
        sync()
        extra["compile_s"] = round(time.perf_counter() - t0, 1)
        run = step
    else:
        run = step
    ms = timed(run, a, dev, sync)
    l = losses.tolist()
    if not all(map(lambda x: x == x and abs(x) != float("inf"), l)):
        raise RuntimeError(f"losses not finite: {l}")
    return ms, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--modes", default="eager,graph,compile")
    ap.add_argument("--tf32", default="off,on", help="off, on, or off,on")
    ap.add_argument("--device", default="auto", help="auto (cuda if there is one), cuda or cpu (a dry run)")
    ap.add_argument("--deadline", type=float, default=0, help="unix time: modes not started by then are skipped (0: none)")
    ap.add_argument("--json", default=None, help="also write the JSON lines here")
    ap.add_argument("--compile-backend", default="inductor", help="torch.compile's backend (inductor; the CPU dry run of step.sh"
                    " uses eager: Dynamo's capture without Inductor's minutes of C++ compilation)")
    a = ap.parse_args()
    dev = torch.device("cuda" if (a.device == "auto" and torch.cuda.is_available()) else ("cpu" if a.device == "auto" else a.device))
    if dev.type == "cpu":
        print("torch_step_gpu.py: no CUDA device: DRY RUN on the CPU at tiny sizes (no timing worth reading)", flush=True)
        a.batch, a.ngf, a.ndf, a.nz, a.warmup, a.steps = min(a.batch, 2), min(a.ngf, 4), min(a.ndf, 4), min(a.nz, 8), 1, 2
    else:
        print(f"torch_step_gpu.py: {torch.cuda.get_device_name(dev)}, PyTorch {torch.__version__}, cuDNN "
              f"{torch.backends.cudnn.version()}, batch {a.batch}", flush=True)
    g_macs, d_macs = macs_per_image(a.nz, a.ngf, a.ndf)
    flop = 2 * (3 * g_macs + 8 * d_macs) * a.batch  # as step_summary.flop_per_step
    print(f"model: DCGAN-64 nz {a.nz} ngf {a.ngf} ndf {a.ndf}; G {g_macs / 1e6:.1f} M and D {d_macs / 1e6:.1f} M multiply-adds per image"
          f" forward; {flop / a.batch / 1e9:.3f} GFLOP per image per step", flush=True)
    out = open(a.json, "w") if a.json else None
    rows = []
    for mode in a.modes.split(","):
        for t in a.tf32.split(","):
            tf32 = t == "on"
            if a.deadline and time.time() > a.deadline:
                print(f"skipped: {mode} tf32 {t}: past the deadline", flush=True)
                continue
            if mode == "graph" and dev.type != "cuda":
                print(f"skipped: graph tf32 {t}: CUDA graphs need a GPU", flush=True)
                continue
            try:
                ms, extra = run_mode(a, dev, mode, tf32)
            except Exception as e:  # one mode failing must not lose the others' numbers
                print(f"FAILED: {mode} tf32 {t}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
                continue
            mean = statistics.fmean(ms)
            r = {"impl": "torch", "mode": mode, "tf32": tf32, "batch": a.batch, "ms_median": statistics.median(ms),
                 "ms_min": min(ms), "ms_max": max(ms), "ms_mean": mean, "steps": len(ms), "images_per_s": a.batch / (mean / 1e3),
                 "flop_per_step": flop, "tflops": flop / (mean / 1e3) / 1e12,
                 "peak_fraction": flop / (mean / 1e3) / 1e12 / H200_PEAK_TFLOPS[tf32], **extra}
            rows.append(r)
            line = json.dumps(r)
            print(line, flush=True)
            if out:
                print(line, file=out, flush=True)
    if out:
        out.close()
    print(f"\n{'mode':<8} {'tf32':<5} {'ms median':>10} {'min':>8} {'max':>8} {'images/s':>10} {'TFLOP/s':>8} {'of peak':>8}")
    for r in rows:
        print(f"{r['mode']:<8} {'on' if r['tf32'] else 'off':<5} {r['ms_median']:10.3f} {r['ms_min']:8.3f} {r['ms_max']:8.3f}"
              f" {r['images_per_s']:10.0f} {r['tflops']:8.2f} {100 * r['peak_fraction']:7.2f}%"
              + (f"  (compiled in {r['compile_s']} s, backend {a.compile_backend})" if "compile_s" in r else ""))
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
