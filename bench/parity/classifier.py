"""jgan's Fashion-MNIST classifier (jgan.metrics.Classifier, architecture jgan-fmnist-cnn-v1) in
PyTorch, module for module, so that its weights file (jgan's shipped one, or one `jgan classifier
train` wrote) loads with load_state_dict(strict=True) and scores the test set as jgan does: a check
that the file's names and layouts are PyTorch's (a wrong layout would not classify).

    python bench/parity/classifier.py [FILE.safetensors] [--data-dir DIR]

prints the file's metadata, the test accuracy in PyTorch (eval mode) and the recorded one. With
--golden OUT.safetensors it also writes the first 16 test images ([16, 1, 28, 28] in [-1, 1]) with
PyTorch's features [16, 128] and logits [16, 10] for them, which ClassifierTest compares with jgan's:

    /tmp/torchvenv/bin/python bench/parity/classifier.py \
        --golden java/src/test/resources/jgan/metrics/classifier-pytorch.safetensors
"""
import argparse
import gzip
import os
import struct

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn


class Classifier(nn.Module):
    """Input [N, 1, 28, 28] in [-1, 1]; features = main[:13] (128 wide), logits = main (10)."""

    def __init__(self):
        super().__init__()
        lrelu = lambda: nn.LeakyReLU(0.2)
        self.main = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), lrelu(),
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), lrelu(),
            nn.Conv2d(64, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64), lrelu(),
            nn.Flatten(),
            nn.Linear(1024, 128, bias=False), nn.BatchNorm1d(128), lrelu(),
            nn.Linear(128, 10))

    def features(self, x):
        return self.main[:13](x)

    def forward(self, x):
        return self.main(x)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">i", data[:4])
    dims = struct.unpack(">" + "i" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "java", "src", "main", "resources", "jgan", "metrics",
                           "fashion-mnist-classifier.safetensors")
    p = argparse.ArgumentParser()
    p.add_argument("file", nargs="?", default=default)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--golden", help="write images, features and logits of 16 test images here")
    a = p.parse_args()
    with safe_open(a.file, "pt") as f:
        meta = f.metadata() or {}
    for k, v in meta.items():
        print(f"  {k}: {v}")
    net = Classifier()
    net.load_state_dict(load_file(a.file), strict=True)
    net.eval()
    images = read_idx(os.path.join(a.data_dir, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(a.data_dir, "t10k-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    with torch.no_grad():
        pred = torch.cat([net(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    acc = (pred.numpy() == labels).mean()
    print(f"PyTorch {torch.__version__}: test accuracy {100 * acc:.2f}% ({len(labels)} images); "
          f"recorded in the file: {meta.get('test_accuracy')}")
    if a.golden:
        x16 = x[:16].contiguous()
        with torch.no_grad():
            golden = {"images": x16, "features": net.features(x16).contiguous(), "logits": net(x16).contiguous()}
        save_file(golden, a.golden, metadata={"weights": os.path.basename(a.file), "torch": torch.__version__,
                                              "made_by": "bench/parity/classifier.py --golden"})
        print(f"wrote {a.golden}")


if __name__ == "__main__":
    main()
