"""jgan export / --init-from against PyTorch (not run in CI: needs torch, numpy, safetensors).

Run from the repository root after `NVCC=none mvn -B -q test-compile package -DskipTests` (it uses
java/target/classes, test-classes and lib/):

    /tmp/torchvenv/bin/python bench/parity/export_check.py [WORKDIR]

What it does, at the sizes of PyTorch's DCGAN example (64x64 RGB, nz 100, ngf = ndf = 64):
 1. builds that example's Generator and Discriminator (defined below from the DCGAN paper's
    architecture, as nn.Sequential held as self.main), initialises them as the paper does
    (conv weights N(0, 0.02), batch-norm weight N(1, 0.02), bias 0; torch.manual_seed(0)) and saves
    both state_dicts with safetensors.torch.save_file; writes the golden key list
    java/src/test/resources/jgan/parity/dcgan64_state_dict.txt (net, key, dtype, shape) that
    ExportGoldenTest checks jgan's export against;
 2. PyTorch -> jgan: makes jgan runs from those files (jgan.gan.TinyRuns, the path of
    `train --init-from`: jgan.gan.InitFrom): run A with no training step, run B with 2 steps of
    batch 4 (synthetic images) so that the batch-norm running statistics move;
 3. jgan -> PyTorch: `jgan export` of G and D of both runs, loaded with load_state_dict(strict=True);
    run A's export must equal PyTorch's initial tensors;
 3b. the same through the command line: `jgan train --data FOLDER --init-from pt_g --init-from pt_d
    --steps 1` on 8 generated 64x64 PNGs (run C); its exported weights stay within one Adam step
    (lr 2e-4) of PyTorch's, and its export loads strictly;
 4. images: z ~ N(0, 1) [16, 100] saved as z.npy; `jgan sample --z z.npy --out x.npy` (eval mode and
    --sample-bn batch) against PyTorch's G in eval() and train() mode on the same z; max |diff| printed.
"""
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

NZ, NGF, NDF, NC = 100, 64, 64, 3
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CP = ":".join(os.path.join(ROOT, "java", "target", p) for p in ("classes", "test-classes", "lib/*"))
GOLDEN = os.path.join(ROOT, "java", "src", "test", "resources", "jgan", "parity", "dcgan64_state_dict.txt")


def generator():
    # z [N, nz, 1, 1] -> 4x4 (ngf*8) -> 8x8 (ngf*4) -> 16x16 (ngf*2) -> 32x32 (ngf) -> 64x64 (nc), tanh
    mods, c = [], NGF * 8
    mods += [nn.ConvTranspose2d(NZ, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
    while c > NGF:
        mods += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        c //= 2
    mods += [nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Module()
    g.main = nn.Sequential(*mods)
    return g


def discriminator():
    # 64x64 (nc) -> 32x32 (ndf) -> 16x16 -> 8x8 -> 4x4 (ndf*8) -> 1 logit, sigmoid
    mods, c = [nn.Conv2d(NC, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)], NDF
    while c < NDF * 8:
        mods += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, inplace=True)]
        c *= 2
    mods += [nn.Conv2d(c, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
    d = nn.Module()
    d.main = nn.Sequential(*mods)
    return d


def dcgan_init(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def run(*args):
    print("$", " ".join(args[3:] if args[0] == "java" else args))
    r = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    print("  " + r.stdout.strip().replace("\n", "\n  "))


def jgan(*args):
    run("java", "-cp", CP, "jgan.cli.Main", *args)


def write_png(path, rgb):
    """An 8-bit RGB PNG of a uint8 [H, W, 3] array (the format by hand: no imaging package in the venv)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def forward(g, z):
    return g.main(z.reshape(z.shape[0], NZ, 1, 1))


def main():
    work = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "/tmp/jgan-export-check")
    os.makedirs(work, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}; work folder {work}")
    torch.manual_seed(0)
    g, d = generator(), discriminator()
    dcgan_init(g)
    dcgan_init(d)
    pt_g, pt_d = os.path.join(work, "pt_g.safetensors"), os.path.join(work, "pt_d.safetensors")
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, pt_g)
    save_file({k: v.contiguous() for k, v in d.state_dict().items()}, pt_d)

    # 1. the golden key list (what PyTorch's state_dict holds)
    with open(GOLDEN, "w") as f:
        f.write(f"# PyTorch {torch.__version__} state_dict of the DCGAN example's G and D (nz 100, ngf 64, ndf 64, nc 3):"
                " net key dtype shape; written by bench/parity/export_check.py\n")
        for net, m in (("g", g), ("d", d)):
            for k, v in m.state_dict().items():
                dt = {torch.float32: "F32", torch.int64: "I64"}[v.dtype]
                f.write(f"{net} {k} {dt} {list(v.shape)}\n")
    print(f"golden: {GOLDEN} ({len(g.state_dict())} G + {len(d.state_dict())} D entries)")

    # 2. PyTorch -> jgan (InitFrom), runs A (no step) and B (2 steps)
    ra, rb = os.path.join(work, "runA"), os.path.join(work, "runB")
    run("java", "-cp", CP, "jgan.gan.TinyRuns", ra, "0", "4", pt_g, pt_d)
    run("java", "-cp", CP, "jgan.gan.TinyRuns", rb, "2", "4", pt_g, pt_d)

    # 3b. train --init-from on the command line
    pics = os.path.join(work, "pictures")
    os.makedirs(pics, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        yy, xx = np.mgrid[0:64, 0:64]
        img = np.stack([(xx * 4 + i * 20) % 256, (yy * 4) % 256, rng.integers(0, 256, (64, 64))], -1).astype(np.uint8)
        write_png(os.path.join(pics, f"p{i}.png"), img)
    rc = os.path.join(work, "runC")
    jgan("train", "--data", pics, "--out", rc, "--force", "--device", "cpu", "--image-size", "64", "--channels", "3", "--latent", "100",
         "--g-width", "64", "--d-width", "64", "--batch", "4", "--steps", "1", "--log-every", "1", "--checkpoint-every", "0",
         "--tf32", "false", "--init-from", pt_g, "--init-from", pt_d)
    for net, ref in (("g", g), ("d", d)):
        out = os.path.join(work, f"runC_{net}.safetensors")
        jgan("export", "--run", rc, "--net", net, "--out", out)
        m = generator() if net == "g" else discriminator()
        result = m.load_state_dict(load_file(out), strict=True)
        c, r0 = m.state_dict(), ref.state_dict()
        moved = max(float((c[k] - r0[k]).abs().max()) for k in r0 if k.endswith("weight") or k.endswith("bias"))
        print(f"  run C {net.upper()}: load_state_dict(strict=True): {result}; max |weight - PyTorch's initial| after one step"
              f" {moved:.3g} (Adam lr 2e-4; a fresh N(0, 0.02) init would differ by ~0.1)")

    # 3. jgan -> PyTorch: strict loads; run A's export is PyTorch's tensors
    loaded = {}
    for r in (ra, rb):
        for net in ("g", "d"):
            out = os.path.join(work, f"{os.path.basename(r)}_{net}.safetensors")
            jgan("export", "--run", r, "--net", net, "--out", out)
            m = generator() if net == "g" else discriminator()
            result = m.load_state_dict(load_file(out), strict=True)
            meta = json.loads(open(out, "rb").read(8 + int.from_bytes(open(out, "rb").read(8), "little"))[8:])["__metadata__"]
            print(f"  load_state_dict(strict=True) of {out}: {result}; metadata jgan.net={meta['jgan.net']}"
                  f" jgan.step={meta['jgan.step']}")
            loaded[(os.path.basename(r), net)] = m
    for net, ref in (("g", g), ("d", d)):
        a = loaded[("runA", net)].state_dict()
        diff = max(float((a[k].double() - v.double()).abs().max()) for k, v in ref.state_dict().items())
        print(f"run A {net.upper()} export vs PyTorch's initial state_dict: max |diff| {diff:.3g} over {len(a)} entries")
    b_nbt = int(loaded[("runB", "g")].state_dict()["main.1.num_batches_tracked"])
    b_rm = float(loaded[("runB", "g")].state_dict()["main.1.running_mean"].abs().max())
    print(f"run B G: main.1.num_batches_tracked {b_nbt}, max |main.1.running_mean| {b_rm:.4g} (moved by 2 training steps)")

    # 4. images on the same z
    torch.manual_seed(1)
    z = torch.randn(16, NZ)
    zf = os.path.join(work, "z.npy")
    np.save(zf, z.numpy().astype(np.float32))
    with torch.no_grad():
        for name, ref in (("runA", g), ("runB", loaded[("runB", "g")])):
            r = os.path.join(work, name)
            ev, bt = os.path.join(work, f"{name}_eval.npy"), os.path.join(work, f"{name}_batch.npy")
            jgan("sample", "--run", r, "--z", zf, "--out", ev, "--device", "cpu")
            jgan("sample", "--run", r, "--z", zf, "--sample-bn", "batch", "--out", bt, "--device", "cpu")
            x = np.load(ev)
            ref.eval()
            want = forward(ref, z).numpy()
            print(f"{name}: jgan sample {x.dtype} {list(x.shape)}, eval mode vs PyTorch G.eval(): max |diff| "
                  f"{np.abs(x - want).max():.3g} (values in [{want.min():.3f}, {want.max():.3f}])")
            ref.train()
            want = forward(ref, z).numpy()  # batch statistics (running stats move in ref only; not used again)
            x = np.load(bt)
            print(f"{name}: --sample-bn batch vs PyTorch G.train() forward: max |diff| {np.abs(x - want).max():.3g}"
                  f" (values in [{want.min():.3f}, {want.max():.3f}])")
    print("png:")
    jgan("sample", "--run", rb, "--z", zf, "--out", os.path.join(work, "runB.png"), "--device", "cpu")


if __name__ == "__main__":
    main()
