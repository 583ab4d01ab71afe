#!/usr/bin/env python3
"""PyTorch + cuDNN on the convolution, transposed-convolution and batch-norm layers of DCGAN-64,
the peer that jgan.bench.ConvLayers is measured against in the same call of bench/gpu/run.sh.

Every layer of DCGAN-64 (nz 100, ngf = ndf = 64, 3 channels, k4) at the given batch, channels_last,
each pass timed on its own:
  conv / convT   fprop, dgrad, wgrad   (aten.convolution_backward with one output mask each,
                                        so dgrad and wgrad are timed separately, as cuDNN runs them)
  batch norm     forward (training), backward (dx, dgamma, dbeta)
with TF32 off (FP32) and on. Timing: CUDA events around --iters launches after --warmup launches,
median of --repeats such runs, in milliseconds per launch. GFLOP/s counts 2*N*P*Q*K*R*S*C per
conv pass (padding counted, as is customary) and is compared with the H200's datasheet peaks
(FP32 67 TFLOP/s, TF32 dense 495 TFLOP/s).

Without a GPU (--dry-run, or no CUDA device) the same layers run once on the CPU at batch 2 and
their dgrad/wgrad are checked against autograd, so the script is known to work before GPU time is
spent; it prints no timing then.

Output: one JSON object per line (layer, pass, math, ms, gflops, peak fraction), then a table.
"""
import argparse
import json
import statistics
import sys

import torch
import torch.nn.functional as F

H200_PEAK_TFLOPS = {"fp32": 67.0, "tf32": 495.0}


def dcgan64_layers(nz=100, ngf=64, ndf=64, nc=3):
    """(name, kind, c_in, c_out, in_size, stride, padding) for every conv/convT; kind 'conv' or 'convT'."""
    g = [("G.convT1", "convT", nz, ngf * 8, 1, 1, 0),
         ("G.convT2", "convT", ngf * 8, ngf * 4, 4, 2, 1),
         ("G.convT3", "convT", ngf * 4, ngf * 2, 8, 2, 1),
         ("G.convT4", "convT", ngf * 2, ngf, 16, 2, 1),
         ("G.convT5", "convT", ngf, nc, 32, 2, 1)]
    d = [("D.conv1", "conv", nc, ndf, 64, 2, 1),
         ("D.conv2", "conv", ndf, ndf * 2, 32, 2, 1),
         ("D.conv3", "conv", ndf * 2, ndf * 4, 16, 2, 1),
         ("D.conv4", "conv", ndf * 4, ndf * 8, 8, 2, 1),
         ("D.conv5", "conv", ndf * 8, 1, 4, 1, 0)]
    return g + d


def dcgan64_bn(ngf=64, ndf=64):
    """(name, channels, spatial size) for every batch norm."""
    return [("G.bn1", ngf * 8, 4), ("G.bn2", ngf * 4, 8), ("G.bn3", ngf * 2, 16), ("G.bn4", ngf, 32),
            ("D.bn2", ndf * 2, 16), ("D.bn3", ndf * 4, 8), ("D.bn4", ndf * 8, 4)]


def conv_setup(kind, c_in, c_out, size, stride, pad, batch, device):
    """Tensors and the closures for fprop, dgrad, wgrad of one layer, channels_last."""
    k = 4
    x = torch.randn(batch, c_in, size, size, device=device).to(memory_format=torch.channels_last)
    transposed = kind == "convT"
    if transposed:
        w = (torch.randn(c_in, c_out, k, k, device=device) * 0.02).to(memory_format=torch.channels_last)
        y = F.conv_transpose2d(x, w, stride=stride, padding=pad)
    else:
        w = (torch.randn(c_out, c_in, k, k, device=device) * 0.02).to(memory_format=torch.channels_last)
        y = F.conv2d(x, w, stride=stride, padding=pad)
    dy = torch.randn_like(y).contiguous(memory_format=torch.channels_last)
    out = y.shape[2]
    # MACs of the underlying convolution: for convT the mirrored conv maps the output (out) to x (size).
    if transposed:
        macs = batch * size * size * c_in * k * k * c_out
    else:
        macs = batch * out * out * c_out * k * k * c_in

    def back(mask):
        return torch.ops.aten.convolution_backward(dy, x, w, None, [stride, stride], [pad, pad], [1, 1], transposed,
                                                   [0, 0], 1, mask)

    def fprop():
        if transposed:
            return F.conv_transpose2d(x, w, stride=stride, padding=pad)
        return F.conv2d(x, w, stride=stride, padding=pad)

    passes = {"fprop": fprop, "dgrad": lambda: back([True, False, False]), "wgrad": lambda: back([False, True, False])}
    return passes, macs, (x, w, dy, transposed, stride, pad)


def bn_setup(channels, size, batch, device):
    x = torch.randn(batch, channels, size, size, device=device).to(memory_format=torch.channels_last)
    gamma = torch.ones(channels, device=device)
    beta = torch.zeros(channels, device=device)
    rm = torch.zeros(channels, device=device)
    rv = torch.ones(channels, device=device)
    out, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
    dy = torch.randn_like(out).contiguous(memory_format=torch.channels_last)

    def fwd():
        return torch.ops.aten.native_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)

    def bwd():
        return torch.ops.aten.native_batch_norm_backward(dy, x, gamma, rm, rv, save_mean, save_invstd, True, 1e-5,
                                                         [True, True, True])

    return {"forward": fwd, "backward": bwd}, x.numel()


def time_cuda(fn, warmup, iters, repeats):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    runs = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        end.synchronize()
        runs.append(start.elapsed_time(end) / iters)
    return statistics.median(runs), min(runs), max(runs)


def dry_run():
    """CPU, batch 2: every pass runs, and dgrad/wgrad equal autograd's gradients."""
    torch.manual_seed(0)
    checked = 0
    for name, kind, c_in, c_out, size, stride, pad in dcgan64_layers():
        passes, _, (x, w, dy, transposed, stride_, pad_) = conv_setup(kind, c_in, c_out, size, stride, pad, 2, "cpu")
        xg, wg = x.detach().clone().requires_grad_(True), w.detach().clone().requires_grad_(True)
        y = (F.conv_transpose2d if transposed else F.conv2d)(xg, wg, stride=stride_, padding=pad_)
        y.backward(dy)
        dx = passes["dgrad"]()[0]
        dw = passes["wgrad"]()[1]
        passes["fprop"]()
        for what, got, want in (("dgrad", dx, xg.grad), ("wgrad", dw, wg.grad)):
            err = (got - want).abs().max().item()
            scale = want.abs().max().item() + 1e-12
            if err > 1e-4 * scale:
                print(f"dry run: {name} {what} differs from autograd: max error {err} (scale {scale})", file=sys.stderr)
                return 1
            checked += 1
    for name, channels, size in dcgan64_bn():
        passes, _ = bn_setup(channels, size, 2, "cpu")
        passes["forward"]()
        passes["backward"]()
        checked += 1
    print(f"dry run (CPU, batch 2, torch {torch.__version__}): {checked} checks passed; no GPU, so nothing was timed")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dry-run", action="store_true", help="CPU correctness check only, no timing")
    ap.add_argument("--json", help="also write the JSON lines to this file")
    a = ap.parse_args()
    if a.dry_run or not torch.cuda.is_available():
        if not a.dry_run:
            print("no CUDA device: running the CPU dry run instead (correctness only, nothing timed)")
        return dry_run()

    torch.backends.cudnn.benchmark = True
    dev = "cuda"
    rows = []
    for math in ("fp32", "tf32"):
        torch.backends.cuda.matmul.allow_tf32 = math == "tf32"
        torch.backends.cudnn.allow_tf32 = math == "tf32"
        for name, kind, c_in, c_out, size, stride, pad in dcgan64_layers():
            passes, macs, _ = conv_setup(kind, c_in, c_out, size, stride, pad, a.batch, dev)
            for pname, fn in passes.items():
                med, lo, hi = time_cuda(fn, a.warmup, a.iters, a.repeats)
                gflops = 2 * macs / (med * 1e-3) / 1e9
                rows.append({"peer": "pytorch-cudnn", "layer": name, "pass": pname, "math": math, "batch": a.batch,
                             "ms": med, "ms_min": lo, "ms_max": hi, "gflops": gflops,
                             "peak_fraction": gflops / (H200_PEAK_TFLOPS[math] * 1e3)})
        for name, channels, size in dcgan64_bn():
            passes, numel = bn_setup(channels, size, a.batch, dev)
            for pname, fn in passes.items():
                med, lo, hi = time_cuda(fn, a.warmup, a.iters, a.repeats)
                # bytes: forward reads x, writes y (+ tiny stats); backward reads x, dy, writes dx
                moved = numel * 4 * (2 if pname == "forward" else 3)
                rows.append({"peer": "pytorch-cudnn", "layer": name, "pass": pname, "math": math, "batch": a.batch,
                             "ms": med, "ms_min": lo, "ms_max": hi, "gbytes_per_s": moved / (med * 1e-3) / 1e9})
    out = open(a.json, "w") if a.json else None
    for r in rows:
        line = json.dumps(r)
        print(line)
        if out:
            out.write(line + "\n")
    if out:
        out.close()
    print(f"\nPyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}, "
          f"batch {a.batch}, channels_last; median of {a.repeats} runs of {a.iters} launches after {a.warmup} warm-up")
    print(f"{'layer':10} {'pass':8} {'math':5} {'ms':>9} {'GFLOP/s':>9} {'of peak':>8} {'GB/s':>8}")
    for r in rows:
        g = f"{r['gflops']:9.0f}" if "gflops" in r else " " * 9
        f = f"{100 * r['peak_fraction']:7.1f}%" if "peak_fraction" in r else " " * 8
        b = f"{r['gbytes_per_s']:8.0f}" if "gbytes_per_s" in r else " " * 8
        print(f"{r['layer']:10} {r['pass']:8} {r['math']:5} {r['ms']:9.4f} {g} {f} {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
