"""PyTorch CPU side of bench/cpu/layers.sh: per-layer times of DCGAN-28 and DCGAN-64's conv,
transposed conv and batch-norm layers (channels_last, FP32), printed as lines
    torch <model> <layer> <pass> <median ms>
one per layer and pass, each the median of --reps timed calls after --warmup calls.
The layer list is bench/cpu/layers.txt (shared with the Java side, jgan.cpu.LayerBench)."""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def read_layers(path):
    layers = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        # model name kind n h w cin cout filter stride pad bias     (kind: conv | convT | bn)
        layers.append(dict(model=f[0], name=f[1], kind=f[2], n=int(f[3]), h=int(f[4]), w=int(f[5]), cin=int(f[6]),
                           cout=int(f[7]), k=int(f[8]), stride=int(f[9]), pad=int(f[10]), bias=f[11] == "1"))
    return layers


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cl = torch.channels_last
    with torch.no_grad():
        for L in read_layers(a.layers):
            n, h, w = L["n"], L["h"], L["w"]
            if L["kind"] == "bn":
                c = L["cin"]
                if h == 1 and w == 1:  # BatchNorm1d over [N, C]
                    x = torch.randn(n, c)
                else:
                    x = torch.randn(n, c, h, w).to(memory_format=cl)
                g, b = torch.randn(c), torch.randn(c)
                rm, rv = torch.zeros(c), torch.ones(c)
                y, mean, invstd = torch.ops.aten.native_batch_norm(x, g, b, rm, rv, True, 0.1, 1e-5)[:3]
                dy = torch.randn_like(y)
                fwd = lambda: torch.ops.aten.native_batch_norm(x, g, b, rm, rv, True, 0.1, 1e-5)
                bwd = lambda: torch.ops.aten.native_batch_norm_backward(dy, x, g, rm, rv, mean, invstd, True, 1e-5,
                                                                        [True, True, True])
                print(f"torch {L['model']} {L['name']} fprop {timed(fwd, a.warmup, a.reps):.4f}", flush=True)
                print(f"torch {L['model']} {L['name']} dgrad {timed(bwd, a.warmup, a.reps):.4f}", flush=True)
                continue
            transposed = L["kind"] == "convT"
            cin, cout, k, s, p = L["cin"], L["cout"], L["k"], L["stride"], L["pad"]
            x = torch.randn(n, cin, h, w).to(memory_format=cl)
            if transposed:
                wt = torch.randn(cin, cout, k, k).to(memory_format=cl) * 0.05
            else:
                wt = torch.randn(cout, cin, k, k).to(memory_format=cl) * 0.05
            bias = torch.randn(cout) if L["bias"] else None
            conv = lambda: torch.ops.aten.convolution(x, wt, bias, [s, s], [p, p], [1, 1], transposed, [0, 0], 1)
            y = conv()
            dy = torch.randn_like(y).contiguous(memory_format=cl)
            bsz = [cout] if L["bias"] else None

            def back(mask):
                return lambda: torch.ops.aten.convolution_backward(dy, x, wt, bsz, [s, s], [p, p], [1, 1], transposed, [0, 0], 1,
                                                                   mask)
            print(f"torch {L['model']} {L['name']} fprop {timed(conv, a.warmup, a.reps):.4f}", flush=True)
            print(f"torch {L['model']} {L['name']} dgrad {timed(back([True, False, False]), a.warmup, a.reps):.4f}", flush=True)
            print(f"torch {L['model']} {L['name']} wgrad {timed(back([False, True, L['bias']]), a.warmup, a.reps):.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
