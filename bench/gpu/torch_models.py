"""The PyTorch models and training step of jgan's step benchmarks, shared by bench/peers/torch_step.py
(CPU) and bench/gpu/torch_step_gpu.py (GPU; copied beside it into the GPU bundle by build-bundle.sh).

Each builder returns (G, D, the shape of one real sample without the batch). NCHW shapes as PyTorch
names them:
  dcgan28: G z(latent) -> Linear 6272 (no bias) -> BatchNorm1d -> ReLU -> 128x7x7 -> ConvT 128->64 k4s2p1 (no bias)
           -> BatchNorm2d -> ReLU -> ConvT 64->1 k4s2p1 (bias) -> tanh;  D Conv 1->64 k4s2p1 (bias) -> LeakyReLU 0.2
           -> Conv 64->128 k4s2p1 (no bias) -> BatchNorm2d -> LeakyReLU 0.2 -> flatten 6272 -> Linear 1 (bias).
  dcgan64: PyTorch's DCGAN example (nz 100, ngf = ndf = 64, 3 channels, no biases).
  mlp:     jgan's toy-mixture pair: G z(16) -> 3 x (Linear 128, ReLU) -> Linear 2; D 2 -> 3 x (Linear 128, ReLU) -> Linear 1.
init: the DCGAN init (issue 8): conv/linear weights N(0, 0.02), BN weight N(1, 0.02), biases 0.
adversarial_step: one training step as PyTorch's DCGAN example does it (and jgan's AdversarialStep).
"""
import torch.nn as nn
import torch.nn.functional as F


def dcgan28(latent):
    g = nn.Sequential(
        nn.Linear(latent, 128 * 7 * 7, bias=False), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(True),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=True), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=True), nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return g, d, (1, 28, 28)


def dcgan64(latent, ngf=64, ndf=64, nc=3, flat_z=True):
    """flat_z: z arrives as [batch, latent] (unflattened to 1x1 first); else already [batch, latent, 1, 1]."""
    g = nn.Sequential(
        *([nn.Unflatten(1, (latent, 1, 1))] if flat_z else []),
        nn.ConvTranspose2d(latent, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten())
    return g, d, (nc, 64, 64)


def mlp(latent=16, width=128, depth=3):
    def stack(i, o):
        layers = []
        for _ in range(depth):
            layers += [nn.Linear(i, width), nn.ReLU(True)]
            i = width
        return nn.Sequential(*layers, nn.Linear(i, o))
    return stack(latent, 2), stack(2, 1), (2,)


def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def adversarial_step(g, d, og, od, z, real, ones, zeros, set_to_none=True):
    """One step of PyTorch's DCGAN example: G forward on z, D on the real batch and on the detached
    fake batch (two separate calls, so separate batch-norm statistics), BCE with logits (real target
    ones, fake zeros), D backward + Adam; D on the fake batch again, G backward with the
    non-saturating loss (target ones) + Adam. set_to_none: zero_grad's (False inside a captured
    CUDA graph, whose grads must keep their addresses). Returns (loss_d, loss_g), detached, on the
    device: the host reads them only if the caller does."""
    fake = g(z)
    od.zero_grad(set_to_none=set_to_none)
    loss_d = (F.binary_cross_entropy_with_logits(d(real), ones)
              + F.binary_cross_entropy_with_logits(d(fake.detach()), zeros))
    loss_d.backward()
    od.step()
    og.zero_grad(set_to_none=set_to_none)
    loss_g = F.binary_cross_entropy_with_logits(d(fake), ones)
    loss_g.backward()
    og.step()
    return loss_d.detach(), loss_g.detach()
