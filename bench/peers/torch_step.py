"""PyTorch CPU peer of bench/cpu.sh: issue 10's DCGAN training step, timed.

One step, as PyTorch's DCGAN example does it (bench/gpu/torch_models.py's adversarial_step, shared
with the GPU peer): sample z, G forward, D on the real batch and on the detached fake batch (two
separate batches, separate BN statistics), BCE with logits, D backward + Adam, D on the fake batch
again, G backward (non-saturating loss, target 1) + Adam. The real batch is a fixed random tensor in
[-1, 1] (data loading is not timed, as in jgan's bench).

Models (NCHW shapes as PyTorch names them; run channels_last, FP32):
  dcgan28: G z(latent) -> Linear 6272 (no bias) -> BatchNorm1d -> ReLU -> 128x7x7 -> ConvT 128->64 k4s2p1 (no bias)
           -> BatchNorm2d -> ReLU -> ConvT 64->1 k4s2p1 (bias) -> tanh;  D Conv 1->64 k4s2p1 (bias) -> LeakyReLU 0.2
           -> Conv 64->128 k4s2p1 (no bias) -> BatchNorm2d -> LeakyReLU 0.2 -> flatten 6272 -> Linear 1 (bias).
           (bench/cpu/layers.txt's DCGAN-28)
  dcgan64: PyTorch's DCGAN example (nz 100, ngf = ndf = 64, 3 channels, no biases).
  mlp:     jgan's toy-mixture pair at the ring8 defaults (jgan.gan.TrainConfig.defaults("ring8")): batch 512,
           G z(16) -> 3 x (Linear 128, ReLU) -> Linear 2; D 2 -> 3 x (Linear 128, ReLU) -> Linear 1; PyTorch's
           default init (jgan's init pytorch); Adam lr G 5e-4, D 1e-3, betas (0.5, 0.999); the real batch is drawn
           from ring8 (8 modes on the unit circle, std 0.01) every step, as jgan samples it on the device.
Init (issue 8, dcgan): conv/linear weights N(0, 0.02), BN weight N(1, 0.02), biases 0. Adam lr 2e-4, betas (0.5, 0.999).

Prints two lines: params torch <model> G <n> D <n> (sum of numel() over parameters()), then
torch <model> <batch> <threads> <ms of each timed step, space-separated>."""
import math
import sys
from pathlib import Path
import argparse
import time

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gpu"))
from torch_models import adversarial_step, dcgan28, dcgan64, init, mlp  # noqa: E402 (bench/gpu/torch_models.py)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["dcgan28", "dcgan64", "mlp"], default="dcgan28")
    ap.add_argument("--batch", type=int, default=None, help="64 (dcgan), 512 (mlp) by default")
    ap.add_argument("--latent", type=int, default=None, help="64 for dcgan28, 100 for dcgan64, 16 for mlp by default")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--channels-last", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    toy = a.model == "mlp"
    a.batch = a.batch or (512 if toy else 64)
    latent = a.latent or {"dcgan28": 64, "dcgan64": 100, "mlp": 16}[a.model]
    g, d, img = {"dcgan28": dcgan28, "dcgan64": dcgan64, "mlp": mlp}[a.model](latent)
    if toy:  # PyTorch's default init, as jgan's init pytorch; no images, no memory format
        mf = torch.contiguous_format
        lr_g, lr_d = 5e-4, 1e-3
        angles = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
        centers = torch.stack([torch.cos(angles), torch.sin(angles)], 1)
    else:
        g.apply(init)
        d.apply(init)
        mf = torch.channels_last if a.channels_last else torch.contiguous_format
        g, d = g.to(memory_format=mf), d.to(memory_format=mf)
        lr_g = lr_d = 2e-4
    n = lambda m: sum(p.numel() for p in m.parameters())
    print(f"params torch {a.model} G {n(g)} D {n(d)}", flush=True)
    og = torch.optim.Adam(g.parameters(), lr=lr_g, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=lr_d, betas=(0.5, 0.999))
    real = (torch.rand(a.batch, *img) * 2 - 1).contiguous(memory_format=mf)
    ones, zeros = torch.ones(a.batch, 1), torch.zeros(a.batch, 1)

    def step():
        nonlocal real
        if toy:  # a fresh ring8 batch each step
            real = centers[torch.randint(0, 8, (a.batch,))] + 0.01 * torch.randn(a.batch, 2)
        loss_d, loss_g = adversarial_step(g, d, og, od, torch.randn(a.batch, latent), real, ones, zeros)
        return loss_d.item() + loss_g.item()  # a host read, as a training loop logging its losses does

    for _ in range(a.warmup):
        step()
    ts = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1e3)
    print(f"torch {a.model} {a.batch} {a.threads} " + " ".join(f"{t:.3f}" for t in ts), flush=True)


if __name__ == "__main__":
    main()
