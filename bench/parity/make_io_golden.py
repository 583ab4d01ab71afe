#!/usr/bin/env python3
"""Golden .npy and .safetensors files for jgan.io's readers and writers (NpyTest, SafetensorsTest).

numpy and the safetensors package are the arbiters of these formats; CI has neither, so this
script writes small files with them once:

    java/src/test/resources/jgan/io/*.npy           numpy.save / numpy.lib.format.write_array
    java/src/test/resources/jgan/io/*.safetensors   safetensors.numpy.save_file

Regenerate (from the repository root; numpy 2.4.6 and safetensors 0.8.0 made the committed files):

    /tmp/torchvenv/bin/python bench/parity/make_io_golden.py

The values follow formulas the Java tests recompute (no values are stored twice):
    f32 arrays   v[i] = (i - 10) * 0.375, C order, of the shape in the name
    i64 arrays   I64_VALUES below
    u8 arrays    v[i] = (37 * i) % 256
"""
import os

import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "java", "src", "test", "resources", "jgan", "io")
I64_VALUES = [0, -1, 2**40 + 3, -(2**62), 7]


def f32(*shape):
    n = int(np.prod(shape, dtype=np.int64))
    return ((np.arange(n, dtype=np.float64) - 10) * 0.375).astype(np.float32).reshape(shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    p = lambda name: os.path.join(OUT, name)
    # accepted
    np.save(p("f32_2x3x4.npy"), f32(2, 3, 4))
    np.save(p("f32_scalar.npy"), f32())  # rank 0: shape ()
    np.save(p("f32_5.npy"), f32(5))  # rank 1: shape (5,)
    np.save(p("f32_0x3.npy"), f32(0, 3))  # no values
    np.save(p("i64_5.npy"), np.array(I64_VALUES, dtype="<i8"))
    np.save(p("u8_2x3.npy"), ((37 * np.arange(6)) % 256).astype(np.uint8).reshape(2, 3))
    np.save(p("f32be_2x3.npy"), f32(2, 3).astype(">f4"))
    np.save(p("i64be_5.npy"), np.array(I64_VALUES, dtype=">i8"))
    with open(p("f32_v2_2x3.npy"), "wb") as f:
        np.lib.format.write_array(f, f32(2, 3), version=(2, 0))
    # refused
    np.save(p("f64_2x3.npy"), f32(2, 3).astype(np.float64))
    np.save(p("i32_5.npy"), np.arange(5, dtype=np.int32))
    np.save(p("fortran_2x3.npy"), np.asfortranarray(f32(2, 3)))
    np.save(p("structured_2.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i8")]))

    # safetensors: the tensors of a small BatchNorm-ed network, as a PyTorch state_dict has them
    tensors = {
        "main.0.weight": f32(4, 3, 2, 2),
        "main.1.weight": f32(4),
        "main.1.num_batches_tracked": np.array(I64_VALUES[2], dtype=np.int64),  # rank 0
        "main.1.running_mean": f32(4),
        "empty": f32(0, 3),
        "ids": np.array(I64_VALUES, dtype=np.int64),
    }
    save_file(tensors, p("state.safetensors"), metadata={"format": "pt", "model": "dcgan"})
    save_file({"w": f32(2, 2).astype(np.float16)}, p("f16.safetensors"))


if __name__ == "__main__":
    main()
