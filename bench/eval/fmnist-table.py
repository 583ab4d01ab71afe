#!/usr/bin/env python3
"""bench/eval/fmnist-table.py OUT SEED...: the table of bench/eval/fmnist-seeds.sh from OUT/seedN/eval.csv
(jgan train --eval-every), per seed and step, then mean +- sd over the seeds that have the step. Works on
runs still in progress (the rows written so far)."""
import csv, math, os, sys
out, seeds = sys.argv[1], sys.argv[2:]
runs = {}
for s in seeds:
    f = os.path.join(out, "seed" + s, "eval.csv")
    if os.path.exists(f):
        runs[s] = {int(r["step"]): r for r in csv.DictReader(open(f))}
cols = [("fd", "FD"), ("fd_floor", "floor"), ("precision", "prec"), ("recall", "recall"), ("class_entropy", "H(class)"),
        ("classes_present", "classes")]
print("%-6s %-5s " % ("seed", "step") + " ".join("%9s" % h for _, h in cols))
steps = sorted({st for r in runs.values() for st in r})
for s, r in runs.items():
    for st in sorted(r):
        print("%-6s %-5d " % (s, st) + " ".join("%9.4f" % float(r[st][c]) for c, _ in cols))
print()
print("%-5s %-3s " % ("step", "n") + " ".join("%17s" % h for _, h in cols))
for st in steps:
    vals = [r[st] for r in runs.values() if st in r]
    cells = []
    for c, _ in cols:
        v = [float(x[c]) for x in vals]
        m = sum(v) / len(v)
        sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else float("nan")
        cells.append("%8.4f +- %6.4f" % (m, sd))
    print("%-5d %-3d " % (st, len(vals)) + " ".join(cells))
print("(ln 10 = %.4f nats is the entropy of a uniform class histogram)" % math.log(10))
