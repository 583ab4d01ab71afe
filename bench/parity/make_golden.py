#!/usr/bin/env python3
"""PyTorch golden files for jgan's convolution, transposed convolution and batch norm.

PyTorch is the arbiter of the semantics jgan claims to match (issue 6). This script draws each
case's inputs with a fixed seed, runs PyTorch itself (torch.nn.functional + autograd) in float64
AND float32 in PyTorch's own layouts (NCHW activations, OIHW Conv2d weights, [in, out, kh, kw]
ConvTranspose2d weights), and writes

    java/src/test/resources/jgan/parity/index.json   the cases, their parameters, their arrays
    java/src/test/resources/jgan/parity/<case>.bin    the arrays, little-endian, back to back

read by java/src/test/java/jgan/kernels/PyTorchParityTest.java, which needs no PyTorch.

Regenerate (from the repository root; PyTorch 2.13.0+cpu made the committed files):

    /tmp/torchvenv/bin/python bench/parity/make_golden.py

The output is deterministic for a given PyTorch build (CPU, float64 reference). Arrays in each
case (names as in index.json; "f32" inputs are exactly representable in float32, so the float64
and float32 runs see the same numbers):

    inputs         f32   what jgan is fed (after the test converts the layout with jgan.tensor.Layouts)
    <out>          f64   PyTorch float64: the reference
    <out>_t32      f32   PyTorch float32 on the same inputs: the test checks it passes the same
                         tolerance (so the tolerance is not tighter than float32 allows)
    <out>_mag      f32   float64 scale of the rounding error of each output: the sum of |terms|
                         (the op on |inputs|), for Tolerance.assertWithinSumError

Cases (see CASES below for the exact numbers):
  conv2d            F.conv2d after F.pad (asymmetric padding: TensorFlow 'same' for stride 2 on
                    an even size pads the extra row/column bottom/right; and PyTorch's own
                    padding='same' for stride 1), stride 1-3 (3 > k2 too, and
                    different per axis), dilation 2, C or K of 1 and 3, a 2x3 filter, with and
                    without bias, batch 1 and 3; y, and for an upstream gradient dy: dx (dgrad),
                    dw (wgrad), db via autograd.
  conv_transpose2d  F.conv_transpose2d, stride 1-3 (3 > k2 too), padding 0-1, output_padding 0-2, dilation
                    1-2, k3/k4/k5, with and without bias, the 1x1 -> 4x4 projection; y, dx, dw, db.
  batch_norm        F.batch_norm training (y, saved mean and invstd from
                    torch.ops.aten.native_batch_norm, running_mean/var after one step from
                    non-default initial running stats), eval with the initial running stats,
                    backward (dx, dgamma, dbeta); 4-D [N, C, H, W] (BatchNorm2d) and 2-D [N, C]
                    (BatchNorm1d), momentum 0.1 / eps 1e-5 and one other pair.
  dcgan28_*         the DCGAN-28 layers at batch 2 with channels quartered (128 -> 32, 64 -> 16)
                    to keep the files small: G BatchNorm1d on [2, 64], convT 32->16 k4 s2 p1 on
                    7x7, BN, convT 16->1 k4 s2 p1 on 14x14; D conv 1->16 k4 s2 p1 on 28x28, conv
                    16->32 k4 s2 p1 followed by a BatchNorm2d step (bn_* arrays: jgan feeds it the
                    statistics fused into fprop's epilogue), BN.
  act_*             activations after the op as jgan fuses them: conv + leaky ReLU 0.2 and + ReLU,
                    convT + tanh (G's output, 1 channel) and + ReLU, BN + ReLU, BN1d + leaky ReLU.

All shapes are small (the files total ~2 MB); inputs ~N(0, 1), weights ~N(0, 0.3^2), batch-norm
inputs with a per-channel offset ~N(0, 3^2) and spread 1.5, gamma ~N(1, 0.5^2), initial running
statistics non-default (mean ~N(0, 1), var in [0.5, 1.5)).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "java", "src", "test", "resources", "jgan", "parity")


def conv(name, n, c, k, h, w, r, s, pad, stride, dilation, bias=True, act="identity", bn=False, same=False):
    """pad = (top, bottom, left, right); stride, dilation = (h, w); act applied after the bias; bn: a
    BatchNorm2d training step on the (identity) output too (jgan: statistics fused into fprop);
    same: pad is 'same' padding (TensorFlow's; for stride 1 also PyTorch's padding='same', checked
    here against F.conv2d(padding='same')), and the test builds the problem with ConvProblem.same."""
    return dict(op="conv2d", name=name, n=n, c=c, k=k, h=h, w=w, r=r, s=s, pad=list(pad), stride=list(stride),
                dilation=list(dilation), bias=bias, act=act, slope=SLOPE, bn=bn, momentum=0.1, eps=1e-5, same=same)


def convt(name, n, cin, cout, h, w, kk, stride, padding, output_padding, dilation, bias=True, act="identity"):
    return dict(op="conv_transpose2d", name=name, n=n, cin=cin, cout=cout, h=h, w=w, kernel=kk, stride=stride,
                padding=padding, output_padding=output_padding, dilation=dilation, bias=bias, act=act, slope=SLOPE)


def bn(name, shape, momentum=0.1, eps=1e-5, offset=3.0, act="identity"):
    return dict(op="batch_norm", name=name, shape=list(shape), momentum=momentum, eps=eps, offset=offset, act=act,
                slope=SLOPE)


SLOPE = 0.2  # leaky ReLU slope (DCGAN's)
ACTS = {"identity": lambda t: t, "relu": F.relu, "leaky_relu": lambda t: F.leaky_relu(t, SLOPE), "tanh": torch.tanh}


CASES = [
    conv("conv_c3k5_s1_p1", 1, 3, 5, 7, 9, 3, 3, (1, 1, 1, 1), (1, 1), (1, 1)),
    conv("conv_c1k3_s2_p0_n3", 3, 1, 3, 9, 8, 3, 3, (0, 0, 0, 0), (2, 2), (1, 1)),
    conv("conv_c3k1_s3_p2", 1, 3, 1, 11, 10, 3, 3, (2, 2, 2, 2), (3, 3), (1, 1)),
    conv("conv_same_k5_s2_even", 3, 3, 4, 8, 8, 5, 5, (1, 2, 1, 2), (2, 2), (1, 1), same=True),  # TF 'same': extra row/col bottom/right
    conv("conv_same_k4_s1_d2", 1, 2, 3, 6, 7, 4, 4, (3, 3, 3, 3), (1, 1), (2, 2), same=True),  # PyTorch padding='same', even dilated filter
    conv("conv_same_k4_s1", 1, 2, 3, 6, 7, 4, 4, (1, 2, 1, 2), (1, 1), (1, 1), same=True),  # PyTorch padding='same', even filter
    conv("conv_asym_t2b0l0r1", 1, 2, 3, 7, 6, 3, 3, (2, 0, 0, 1), (1, 1), (1, 1)),
    conv("conv_dil2_p2_n3", 3, 3, 3, 9, 9, 3, 3, (2, 2, 2, 2), (1, 1), (2, 2)),
    conv("conv_dil2_s2_p1", 1, 4, 5, 10, 11, 3, 3, (1, 1, 1, 1), (2, 2), (2, 2)),
    conv("conv_r2s3_s1x2_nobias", 1, 3, 2, 6, 7, 2, 3, (1, 1, 0, 0), (1, 2), (1, 1), bias=False),
    conv("conv_c8k12_s1_p1", 3, 8, 12, 6, 5, 3, 3, (1, 1, 1, 1), (1, 1), (1, 1)),
    conv("conv_k2_s3_gaps", 3, 3, 2, 10, 8, 2, 2, (0, 0, 1, 0), (3, 3), (1, 1)),  # stride > filter: unread rows get dx = 0
    convt("convt_k4_s2_p1_op0", 3, 3, 2, 5, 5, 4, 2, 1, 0, 1),
    convt("convt_k3_s2_p1_op1", 1, 2, 3, 4, 5, 3, 2, 1, 1, 1),
    convt("convt_k5_s2_p1_op1", 3, 1, 3, 3, 4, 5, 2, 1, 1, 1),
    convt("convt_k3_s2_p1_op1_d2", 1, 3, 1, 4, 4, 3, 2, 1, 1, 2),
    convt("convt_k3_s1_p1_op1_d2", 1, 2, 2, 5, 6, 3, 1, 1, 1, 2),
    convt("convt_k3_s3_p0_op2", 1, 2, 2, 3, 3, 3, 3, 0, 2, 1),
    convt("convt_k4_s2_p1_in1_nobias", 3, 1, 4, 4, 3, 4, 2, 1, 0, 1, bias=False),
    convt("convt_projection_1x1_to_4x4", 3, 8, 4, 1, 1, 4, 1, 0, 0, 1, bias=False),
    convt("convt_k2_s3_op1_gaps", 2, 3, 2, 3, 4, 2, 3, 0, 1, 1),  # stride > filter: output rows that only the bias reaches
    bn("bn2d_n3c5_4x3", (3, 5, 4, 3)),
    bn("bn2d_n1c3_1x2", (1, 3, 1, 2)),  # two rows per channel: unbiased factor 2
    bn("bn2d_n2c4_3x3_m03_e1e-3", (2, 4, 3, 3), momentum=0.3, eps=1e-3),
    bn("bn1d_n6c7", (6, 7)),
    bn("bn1d_n2c3", (2, 3)),
    convt("dcgan28_g_convt1_32to16_7x7", 2, 32, 16, 7, 7, 4, 2, 1, 0, 1, bias=False),
    bn("dcgan28_g_bn1_16x14x14", (2, 16, 14, 14)),
    convt("dcgan28_g_convt2_16to1_14x14", 2, 16, 1, 14, 14, 4, 2, 1, 0, 1),
    conv("dcgan28_d_conv1_1to16_28x28", 2, 1, 16, 28, 28, 4, 4, (1, 1, 1, 1), (2, 2), (1, 1)),
    conv("dcgan28_d_conv2_16to32_14x14", 2, 16, 32, 14, 14, 4, 4, (1, 1, 1, 1), (2, 2), (1, 1), bias=False, bn=True),
    bn("dcgan28_d_bn2_32x7x7", (2, 32, 7, 7)),
    bn("dcgan28_g_bn0_1d_n2c64", (2, 64)),
    # fused activations (the gradients take PyTorch's forward output as y, as jgan's backward does)
    conv("act_conv_leaky_c3k4_s2_p1", 2, 3, 4, 8, 8, 4, 4, (1, 1, 1, 1), (2, 2), (1, 1), act="leaky_relu"),
    conv("act_conv_relu_c5k3_s1_p1", 1, 5, 3, 6, 6, 3, 3, (1, 1, 1, 1), (1, 1), (1, 1), act="relu"),
    convt("act_convt_tanh_4to1_k4_s2_p1", 2, 4, 1, 5, 5, 4, 2, 1, 0, 1, act="tanh"),
    convt("act_convt_relu_3to5_k3_s2_p1_op1", 1, 3, 5, 4, 4, 3, 2, 1, 1, 1, act="relu"),
    bn("act_bn2d_relu_n2c6_3x3", (2, 6, 3, 3), act="relu"),
    bn("act_bn1d_leaky_n5c4", (5, 4), act="leaky_relu"),
]


def f32(gen, shape, std=1.0, mean=0.0):
    """Normal draws rounded to float32 (so the float64 and float32 runs have the same inputs)."""
    return (gen.normal(mean, std, size=shape)).astype(np.float32)


def run_conv(cs, gen):
    n, c, k, h, w, r, s = (cs[x] for x in ("n", "c", "k", "h", "w", "r", "s"))
    pt, pb, pl, pr = cs["pad"]
    stride, dil = tuple(cs["stride"]), tuple(cs["dilation"])
    act = ACTS[cs["act"]]
    x = f32(gen, (n, c, h, w))
    wt = f32(gen, (k, c, r, s), 0.3)
    b = f32(gen, (k,), 0.5) if cs["bias"] else None

    def fwd(dtype, xa, wa, ba):
        xt = torch.tensor(xa, dtype=dtype, requires_grad=True)
        wt_ = torch.tensor(wa, dtype=dtype, requires_grad=True)
        bt = torch.tensor(ba, dtype=dtype, requires_grad=True) if ba is not None else None
        y = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wt_, bt, stride=stride, dilation=dil)
        return xt, wt_, bt, act(y)

    _, _, _, y0 = fwd(torch.float64, x, wt, b)
    if cs["same"] and stride == (1, 1):  # the padding written in CASES is PyTorch's own padding='same'
        t = lambda a: torch.tensor(a, dtype=torch.float64) if a is not None else None
        ys = act(F.conv2d(t(x), t(wt), t(b), padding="same", dilation=dil))
        assert ys.shape == y0.shape and torch.allclose(ys, y0.detach(), rtol=0, atol=1e-12), cs["name"]
    dy = f32(gen, tuple(y0.shape))
    arrays = {"x": x, "w": wt, "dy": dy}
    if b is not None:
        arrays["b"] = b
    for dtype, suffix in ((torch.float64, ""), (torch.float32, "_t32")):
        xt, wt_, bt, y = fwd(dtype, x, wt, b)
        y.backward(torch.tensor(dy, dtype=dtype))
        arrays["y" + suffix] = y.detach().numpy()
        arrays["dx" + suffix] = xt.grad.numpy()
        arrays["dw" + suffix] = wt_.grad.numpy()
        if bt is not None:
            arrays["db" + suffix] = bt.grad.numpy()
    # magnitudes: the op without activation on |inputs| (|act(z)| <= |z| and |act'| <= 1 for every act here)
    act = ACTS["identity"]
    xt, wt_, bt, y = fwd(torch.float64, np.abs(x), np.abs(wt), np.abs(b) if b is not None else None)
    y.backward(torch.tensor(np.abs(dy), dtype=torch.float64))
    arrays["y_mag"] = y.detach().numpy() + (1.0 if cs["act"] == "tanh" else 0.0)
    arrays["dx_mag"] = xt.grad.numpy()
    arrays["dw_mag"] = wt_.grad.numpy()
    if bt is not None:
        arrays["db_mag"] = bt.grad.numpy()
    if cs["bn"]:
        conv_bn(cs, gen, arrays, fwd, x, wt, b)
    return arrays


def conv_bn(cs, gen, arrays, fwd, x, wt, b):
    """A BatchNorm2d training step on the conv output z (PyTorch: F.batch_norm on z; jgan: fprop's
    fused statistics partials, then BatchNorm.forwardTrain): arrays bn_*."""
    k = cs["k"]
    g, be = f32(gen, (k,), 0.5, 1.0), f32(gen, (k,), 0.5)
    rm0, rv0 = f32(gen, (k,), 1.0), (0.5 + gen.random(k)).astype(np.float32)
    arrays.update(bn_gamma=g, bn_beta=be, bn_running_mean0=rm0, bn_running_var0=rv0)
    mom, eps = cs["momentum"], cs["eps"]
    for dtype, suffix in ((torch.float64, ""), (torch.float32, "_t32")):
        z = fwd(dtype, x, wt, b)[3].detach()
        rm, rv = torch.tensor(rm0, dtype=dtype), torch.tensor(rv0, dtype=dtype)
        t = lambda a: torch.tensor(a, dtype=dtype)
        y = F.batch_norm(z, rm, rv, t(g), t(be), training=True, momentum=mom, eps=eps)
        _, sm, si = torch.ops.aten.native_batch_norm(z, t(g), t(be), t(rm0), t(rv0), True, mom, eps)
        arrays.update({"bn_y" + suffix: y.numpy(), "bn_running_mean" + suffix: rm.numpy(),
                       "bn_running_var" + suffix: rv.numpy(), "bn_save_mean" + suffix: sm.numpy(),
                       "bn_save_invstd" + suffix: si.numpy()})
    z64 = arrays["y"].astype(np.float64)
    mags = bn_mags(z64, arrays["y_mag"].astype(np.float64), g, be, rm0, rv0, mom, eps)
    for key in ("y", "running_mean", "running_var", "save_mean", "save_invstd"):
        arrays["bn_" + key + "_mag"] = mags[key + "_mag"]


def bn_mags(x64, e, gamma, beta, rm0, rv0, mom, eps, dy=None):
    """Scales of the float32 rounding error of each batch-norm output: x (float64), e the error
    scale of x itself (0 when x is an exact input; the conv's sum|terms| when x is a conv output)."""
    shape = x64.shape
    c = shape[1]
    red = tuple(i for i in range(len(shape)) if i != 1)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    g64, b64 = gamma.astype(np.float64), beta.astype(np.float64)
    rm64, rv64 = rm0.astype(np.float64), rv0.astype(np.float64)
    mean = x64.mean(axis=red, keepdims=True)
    var = x64.var(axis=red, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    ag, ab = np.abs(g64).reshape(bshape), np.abs(b64).reshape(bshape)
    ax = np.abs(x64) + e  # |x| plus the error scale x carries in
    absmean = ax.mean(axis=red, keepdims=True)
    nrows = x64.size // c
    # the variance's terms: (|x| + mean|x|)^2, plus |x - mean| e from x's own error
    sq = ((ax + absmean) ** 2 + 2 * np.abs(x64 - mean) * e).mean(axis=red)
    m = {}
    # x - mean carries the rounding of |x| and of the mean (whose terms are |x|)
    m["y_mag"] = ag * (ax + absmean) * inv + ab
    if np.any(e):  # xhat also carries invstd's error, which x's own error makes larger than rounding
        m["y_mag"] = m["y_mag"] + ag * np.abs(x64 - mean) * inv ** 3 * sq.reshape(bshape)
    m["running_mean_mag"] = (1 - mom) * np.abs(rm64) + mom * absmean.reshape(c)
    m["running_var_mag"] = (1 - mom) * rv64 + mom * sq * nrows / (nrows - 1)
    m["save_mean_mag"] = absmean.reshape(c)
    # invstd's error is relative to the variance's, whose terms' scale is mean (|x| + mean|x|)^2
    m["save_invstd_mag"] = (inv.reshape(c) ** 3) * sq
    m["y_eval_mag"] = ag * (ax + np.abs(rm64).reshape(bshape)) / np.sqrt(rv64.reshape(bshape) + eps) + ab
    if dy is not None:
        adz = np.abs(dy.astype(np.float64))
        axh = (ax + absmean) * inv
        m["dgamma_mag"] = (adz * axh).sum(axis=red)
        m["dbeta_mag"] = adz.sum(axis=red)
        m["dx_mag"] = ag * inv * (adz + adz.mean(axis=red, keepdims=True) + axh * (adz * axh).mean(axis=red, keepdims=True))
    return m


def run_convt(cs, gen):
    n, cin, cout, h, w, kk = (cs[x] for x in ("n", "cin", "cout", "h", "w", "kernel"))
    x = f32(gen, (n, cin, h, w))
    wt = f32(gen, (cin, cout, kk, kk), 0.3)
    b = f32(gen, (cout,), 0.5) if cs["bias"] else None
    kw = dict(stride=cs["stride"], padding=cs["padding"], output_padding=cs["output_padding"], dilation=cs["dilation"])

    def fwd(dtype, xa, wa, ba, act):
        xt = torch.tensor(xa, dtype=dtype, requires_grad=True)
        wt_ = torch.tensor(wa, dtype=dtype, requires_grad=True)
        bt = torch.tensor(ba, dtype=dtype, requires_grad=True) if ba is not None else None
        return xt, wt_, bt, act(F.conv_transpose2d(xt, wt_, bt, **kw))

    act = ACTS[cs["act"]]
    _, _, _, y0 = fwd(torch.float64, x, wt, b, act)
    dy = f32(gen, tuple(y0.shape))
    arrays = {"x": x, "w": wt, "dy": dy}
    if b is not None:
        arrays["b"] = b
    for dtype, suffix in ((torch.float64, ""), (torch.float32, "_t32")):
        xt, wt_, bt, y = fwd(dtype, x, wt, b, act)
        y.backward(torch.tensor(dy, dtype=dtype))
        arrays["y" + suffix] = y.detach().numpy()
        arrays["dx" + suffix] = xt.grad.numpy()
        arrays["dw" + suffix] = wt_.grad.numpy()
        if bt is not None:
            arrays["db" + suffix] = bt.grad.numpy()
    # magnitudes: without activation on |inputs| (|act(z)| <= |z| and |act'| <= 1), + 1 for tanh's own rounding
    xt, wt_, bt, y = fwd(torch.float64, np.abs(x), np.abs(wt), np.abs(b) if b is not None else None, ACTS["identity"])
    y.backward(torch.tensor(np.abs(dy), dtype=torch.float64))
    arrays["y_mag"] = y.detach().numpy() + (1.0 if cs["act"] == "tanh" else 0.0)
    arrays["dx_mag"] = xt.grad.numpy()
    arrays["dw_mag"] = wt_.grad.numpy()
    if bt is not None:
        arrays["db_mag"] = bt.grad.numpy()
    return arrays


def run_bn(cs, gen):
    shape = tuple(cs["shape"])
    c = shape[1]
    mom, eps = cs["momentum"], cs["eps"]
    # a per-channel offset well away from 0 (as after a biased convolution) tests a stable variance
    off = gen.normal(0.0, cs["offset"], size=(1, c) + (1,) * (len(shape) - 2))
    x = (off + gen.normal(0.0, 1.5, size=shape)).astype(np.float32)
    gamma = f32(gen, (c,), 0.5, 1.0)
    beta = f32(gen, (c,), 0.5)
    rm0 = f32(gen, (c,), 1.0)
    rv0 = (0.5 + gen.random(c)).astype(np.float32)
    dy = f32(gen, shape)
    arrays = {"x": x, "gamma": gamma, "beta": beta, "running_mean0": rm0, "running_var0": rv0, "dy": dy}
    act = ACTS[cs["act"]]
    for dtype, suffix in ((torch.float64, ""), (torch.float32, "_t32")):
        t = lambda a, g=False: torch.tensor(a, dtype=dtype, requires_grad=g)
        xt, gt, btt = t(x, True), t(gamma, True), t(beta, True)
        rm, rv = t(rm0), t(rv0)
        y = act(F.batch_norm(xt, rm, rv, gt, btt, training=True, momentum=mom, eps=eps))
        y.backward(t(dy))
        _, smean, sinv = torch.ops.aten.native_batch_norm(t(x), t(gamma), t(beta), t(rm0), t(rv0), True, mom, eps)
        yev = act(F.batch_norm(t(x), t(rm0), t(rv0), t(gamma), t(beta), training=False, momentum=mom, eps=eps))
        arrays["y" + suffix] = y.detach().numpy()
        arrays["running_mean" + suffix] = rm.numpy()
        arrays["running_var" + suffix] = rv.numpy()
        arrays["save_mean" + suffix] = smean.numpy()
        arrays["save_invstd" + suffix] = sinv.numpy()
        arrays["y_eval" + suffix] = yev.numpy()
        arrays["dx" + suffix] = xt.grad.numpy()
        arrays["dgamma" + suffix] = gt.grad.numpy()
        arrays["dbeta" + suffix] = btt.grad.numpy()
    # magnitudes (float64) of the terms behind each output (|act(z)| <= |z|, |act'| <= 1)
    arrays.update(bn_mags(x.astype(np.float64), 0.0, gamma, beta, rm0, rv0, mom, eps, dy))
    return arrays


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".bin") or f == "index.json":
            os.remove(os.path.join(OUT, f))
    index = {"generator": "bench/parity/make_golden.py", "torch": torch.__version__, "numpy": np.__version__,
             "byte_order": "little-endian", "cases": []}
    total = 0
    for i, cs in enumerate(CASES):
        gen = np.random.default_rng(20261130 + i)
        arrays = {"conv2d": run_conv, "conv_transpose2d": run_convt, "batch_norm": run_bn}[cs["op"]](cs, gen)
        entry = dict(cs)
        entry["file"] = cs["name"] + ".bin"
        entry["arrays"] = {}
        blob = bytearray()
        for key, a in arrays.items():
            a = np.asarray(a)
            ref = not key.endswith("_t32") and not key.endswith("_mag") and key not in (
                "x", "w", "b", "dy", "gamma", "beta", "running_mean0", "running_var0", "bn_gamma", "bn_beta", "bn_running_mean0",
                "bn_running_var0")
            dt = "<f8" if ref else "<f4"
            data = np.ascontiguousarray(a, dtype=dt).tobytes()
            entry["arrays"][key] = {"dtype": "f64" if ref else "f32", "shape": list(a.shape), "offset": len(blob)}
            blob += data
        with open(os.path.join(OUT, entry["file"]), "wb") as fh:
            fh.write(blob)
        total += len(blob)
        index["cases"].append(entry)
    with open(os.path.join(OUT, "index.json"), "w") as fh:
        # one case a line: readable in a diff, and small
        cases = index.pop("cases")
        head = json.dumps(index, separators=(", ", ": "))[:-1]
        fh.write(head + ', "cases": [\n' + ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
    print(f"{len(CASES)} cases, {total} bytes of arrays in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
