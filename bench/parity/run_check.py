"""A trained jgan run against PyTorch (not run in CI): `jgan export` of its G and D load into the
equivalent PyTorch modules (bench/parity/models.py, built from the run's config.json) with
load_state_dict(strict=True), and `jgan sample --z` equals PyTorch's G on the same z, in eval mode
and with batch statistics. Any model (dcgan 28 has the dense -> unflatten whose feature order jgan
permutes between NHWC and NCHW at export; mlp-conv the tanh -> unflatten; mlp points).

    NVCC=none mvn -B -q package -DskipTests
    /tmp/torchvenv/bin/python bench/parity/run_check.py RUN [WORKDIR]
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CP = ":".join(os.path.join(ROOT, "java", "target", p) for p in ("classes", "lib/*"))


def jgan(*args):
    print("$ jgan " + " ".join(args))
    r = subprocess.run(["java", "-cp", CP, "jgan.cli.Main", *args], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    print("  " + r.stdout.strip())


def main():
    run = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/tmp/jgan-run-check")
    os.makedirs(work, exist_ok=True)
    c = json.load(open(os.path.join(run, "config.json")))
    act = {"leakyrelu": "leaky_relu"}.get(c["activation"], c["activation"])
    kw = dict(image_size=c.get("image_size") or 64, channels=c.get("channels") or 3, latent=c["latent"], g_width=c.get("g_width") or 64,
              d_width=c.get("d_width") or 64, width=c["width"], depth_g=c["depth_g"], depth_d=c["depth_d"], activation=act,
              slope=c["slope"])
    print(f"torch {torch.__version__}; run {run}: model {c['model']} {kw}")
    nets = {}
    for net in ("g", "d"):
        f = os.path.join(work, f"{net}.safetensors")
        jgan("export", "--run", run, "--net", net, "--out", f)
        m = models.build(c["model"], net, **kw)
        print(f"  load_state_dict(strict=True): {m.load_state_dict(load_file(f), strict=True)}")
        nets[net] = m
    g = nets["g"]
    torch.manual_seed(3)
    z = torch.randn(32, c["latent"])
    zf = os.path.join(work, "z.npy")
    np.save(zf, z.numpy())
    with torch.no_grad():
        for mode in ("eval", "batch"):
            out = os.path.join(work, f"x_{mode}.npy")
            jgan("sample", "--run", run, "--z", zf, "--sample-bn", mode, "--out", out, "--device", "cpu")
            g.train(mode == "batch")
            want = g(z).numpy()
            x = np.load(out)
            print(f"{mode}: jgan {x.dtype}{list(x.shape)} vs PyTorch {list(want.shape)}: max |diff| {np.abs(x - want).max():.3g}"
                  f" (values in [{want.min():.3f}, {want.max():.3f}])")


if __name__ == "__main__":
    main()
