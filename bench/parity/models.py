"""PyTorch definitions of jgan's models (jgan.nn.ModelSpec), module for module, so that a state_dict
exported by jgan (`Sequential.stateDict()`, `jgan export`) loads with load_state_dict(strict=True) and a
PyTorch-trained one loads into jgan (`--init-from`). Each network is an nn.Module holding an
nn.Sequential as self.main: the keys are main.<index>.<name>, as in PyTorch's DCGAN example
(https://github.com/pytorch/examples/tree/main/dcgan), whose Generator/Discriminator at 64x64 these
reproduce exactly (keys and shapes). Images are NCHW here; jgan runs NHWC and converts at export.

  dcgan, image 28:      G  Linear(nz, 2ngf*49, bias=False) BN1d ReLU Unflatten(2ngf, 7, 7)
                           ConvT(2ngf, ngf, 4, 2, 1, bias=False) BN2d ReLU ConvT(ngf, nc, 4, 2, 1) Tanh
                        D  Conv(nc, ndf, 4, 2, 1) LeakyReLU(0.2) Conv(ndf, 2ndf, 4, 2, 1, bias=False) BN2d
                           LeakyReLU(0.2) Flatten Linear(2ndf*49, 1)
  dcgan, image 4*2^d:   G  ConvT(nz, ngf*2^(d-1), 4, 1, 0) BN ReLU, (d-1) x [ConvT(c, c/2, 4, 2, 1) BN ReLU],
  (16..256)                ConvT(ngf, nc, 4, 2, 1) Tanh; no conv bias
                        D  Conv(nc, ndf, 4, 2, 1) LeakyReLU(0.2), (d-1) x [Conv(c, 2c, 4, 2, 1) BN LeakyReLU(0.2)],
                           Conv(ndf*2^(d-1), 1, 4, 1, 0) [Sigmoid]; no conv bias
  mlp-conv:             G  depth_g x [Linear LeakyReLU(slope)] Linear(., nc*H*W) Tanh Unflatten(nc, H, W)
                        D  depth_d x [Conv(c, c', 5, 2, 2) LeakyReLU(slope)] Flatten Linear(., 1)
  mlp (2-D points):     G  depth_g x [Linear act] Linear(., 2);  D  depth_d x [Linear act] Linear(., 1)

jgan's discriminators output a logit (the sigmoid is in jgan's loss); sigmoid=True appends the DCGAN
example's Sigmoid module (no parameters: the keys do not change).

Run as a script it prints the state_dict keys and shapes of one network, e.g.
    python bench/parity/models.py dcgan --image-size 64 --net g
"""
import argparse

import torch
from torch import nn


def _doublings(image_size):
    d = (image_size // 4).bit_length() - 1
    if image_size not in (16, 32, 64, 128, 256) or 4 << d != image_size:
        raise ValueError(f"dcgan: image size {image_size} does not fit; sizes that work: 28 or a power of two "
                         f"from 16 to 256 ([16, 28, 32, 64, 128, 256])")
    return d


class Generator(nn.Module):
    """z [N, nz] or [N, nz, 1, 1] -> images [N, nc, H, W] (or [N, 2] points for mlp)."""

    def __init__(self, main, image_input):
        super().__init__()
        self.main = main
        self.image_input = image_input

    def forward(self, z):
        n = z.shape[0]
        return self.main(z.reshape(n, -1, 1, 1) if self.image_input else z.reshape(n, -1))


class Discriminator(nn.Module):
    """images [N, nc, H, W] (or points [N, 2]) -> [N] logits (probabilities with sigmoid=True)."""

    def __init__(self, main):
        super().__init__()
        self.main = main

    def forward(self, x):
        return self.main(x).reshape(-1)


def dcgan_generator(image_size=64, channels=3, latent=100, ngf=64):
    if image_size == 28:
        c0 = 2 * ngf
        return Generator(nn.Sequential(
            nn.Linear(latent, c0 * 49, bias=False), nn.BatchNorm1d(c0 * 49), nn.ReLU(True), nn.Unflatten(1, (c0, 7, 7)),
            nn.ConvTranspose2d(c0, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, channels, 4, 2, 1), nn.Tanh()), image_input=False)
    d = _doublings(image_size)
    c = ngf << (d - 1)
    layers = [nn.ConvTranspose2d(latent, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
    for _ in range(d - 1):
        layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        c //= 2
    layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return Generator(nn.Sequential(*layers), image_input=True)


def dcgan_discriminator(image_size=64, channels=3, ndf=64, sigmoid=False):
    if image_size == 28:
        return Discriminator(nn.Sequential(
            nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(), nn.Linear(2 * ndf * 49, 1)))
    d = _doublings(image_size)
    c = ndf
    layers = [nn.Conv2d(channels, c, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for _ in range(d - 1):
        layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, inplace=True)]
        c *= 2
    layers += [nn.Conv2d(c, 1, 4, 1, 0, bias=False)]
    if sigmoid:
        layers += [nn.Sigmoid()]
    return Discriminator(nn.Sequential(*layers))


def mlp_conv_generator(image_size=28, channels=1, latent=64, g_width=256, depth_g=2, slope=0.2):
    layers, w = [], latent
    for _ in range(depth_g):
        layers += [nn.Linear(w, g_width), nn.LeakyReLU(slope)]
        w = g_width
    layers += [nn.Linear(w, channels * image_size * image_size), nn.Tanh(), nn.Unflatten(1, (channels, image_size, image_size))]
    return Generator(nn.Sequential(*layers), image_input=False)


def mlp_conv_discriminator(image_size=28, channels=1, d_width=32, depth_d=2, slope=0.2):
    layers, c, s = [], channels, image_size
    for i in range(depth_d):
        layers += [nn.Conv2d(c, d_width << i, 5, 2, 2), nn.LeakyReLU(slope)]
        c, s = d_width << i, (s + 1) // 2
    layers += [nn.Flatten(), nn.Linear(c * s * s, 1)]
    return Discriminator(nn.Sequential(*layers))


_ACTS = {"relu": lambda s: nn.ReLU(), "leaky_relu": lambda s: nn.LeakyReLU(s), "tanh": lambda s: nn.Tanh()}


def mlp_generator(latent=2, width=128, depth_g=3, activation="relu", slope=0.2):
    layers, w = [], latent
    for _ in range(depth_g):
        layers += [nn.Linear(w, width), _ACTS[activation](slope)]
        w = width
    return Generator(nn.Sequential(*layers, nn.Linear(w, 2)), image_input=False)


def mlp_discriminator(width=128, depth_d=3, activation="relu", slope=0.2):
    layers, w = [], 2
    for _ in range(depth_d):
        layers += [nn.Linear(w, width), _ACTS[activation](slope)]
        w = width
    return Discriminator(nn.Sequential(*layers, nn.Linear(w, 1)))


def build(model, net, image_size=64, channels=3, latent=100, g_width=64, d_width=64, width=128, depth_g=2, depth_d=2,
          activation="leaky_relu", slope=0.2):
    """The network jgan.nn.ModelSpec(model, image_size, channels, latent, g_width, d_width, width, depth_g, depth_d,
    activation, slope).generator/discriminator builds; net is "g" or "d"."""
    if model == "dcgan":
        return dcgan_generator(image_size, channels, latent, g_width) if net == "g" else \
            dcgan_discriminator(image_size, channels, d_width)
    if model == "mlp-conv":
        return mlp_conv_generator(image_size, channels, latent, g_width, depth_g, slope) if net == "g" else \
            mlp_conv_discriminator(image_size, channels, d_width, depth_d, slope)
    if model == "mlp":
        return mlp_generator(latent, width, depth_g, activation, slope) if net == "g" else \
            mlp_discriminator(width, depth_d, activation, slope)
    raise ValueError(f"model '{model}' is not one of dcgan, mlp-conv, mlp")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=["dcgan", "mlp-conv", "mlp"])
    ap.add_argument("--net", choices=["g", "d"], default="g")
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--latent", type=int, default=100)
    ap.add_argument("--g-width", type=int, default=64)
    ap.add_argument("--d-width", type=int, default=64)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--depth-g", type=int, default=2)
    ap.add_argument("--depth-d", type=int, default=2)
    ap.add_argument("--activation", default="leaky_relu", choices=sorted(_ACTS))
    ap.add_argument("--slope", type=float, default=0.2)
    a = ap.parse_args()
    m = build(a.model, a.net, a.image_size, a.channels, a.latent, a.g_width, a.d_width, a.width, a.depth_g, a.depth_d,
              a.activation, a.slope)
    for k, v in m.state_dict().items():
        print(k, list(v.shape), str(v.dtype).replace("torch.", ""))


if __name__ == "__main__":
    main()
