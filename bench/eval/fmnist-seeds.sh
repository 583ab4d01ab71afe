#!/usr/bin/env bash
# bench/eval/fmnist-seeds.sh: the README's main job (jgan train --data fashion-mnist, the defaults: DCGAN-28,
# ngf = ndf = 32, batch 64, 3000 steps) on the cpu device for several seeds, scored every 500 steps by
# --eval-every (2,000 images of G, eval-mode batch norm, against the Fashion-MNIST test set in the shipped
# classifier's feature space), then one table: FD (floor beside it), precision, recall, class entropy per
# step and seed, and their mean and standard deviation over the seeds.
#
#   bench/eval/fmnist-seeds.sh                  # seeds 1 2 3, runs in runs/eval-seeds/seedN
#   SEEDS="1 2" EVERY=500 OUT=/tmp/s bench/eval/fmnist-seeds.sh
#   JGAN_JAR=path/to/jgan.jar bench/eval/fmnist-seeds.sh   # a fixed jar (e.g. a copy, while the sources change)
#
# The runs go one after another (each takes the machine's cores). Prints the load average before and after
# each run: on a shared machine the times say little, the metrics do not depend on them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SEEDS="${SEEDS:-1 2 3}"
EVERY="${EVERY:-500}"
OUT="${OUT:-$root/runs/eval-seeds}"
jgan() {
  if [ -n "${JGAN_JAR:-}" ]; then java -Djava.awt.headless=true ${JGAN_JAVA_OPTS:-} -jar "$JGAN_JAR" "$@"; else "$root/jgan" "$@"; fi
}
echo "# bench/eval/fmnist-seeds.sh: seeds $SEEDS, --eval-every $EVERY, cpu device"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ -n "${JGAN_JAR:-}" ] && echo ", jar $JGAN_JAR"), $(nproc) cores"
for seed in $SEEDS; do
  run="$OUT/seed$seed"
  echo
  echo "## seed $seed: jgan train --data fashion-mnist --out $run --device cpu --seed $seed --eval-every $EVERY --force"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  mkdir -p "$OUT"
  start=$(date +%s)
  jgan train --data fashion-mnist --out "$run" --device cpu --seed "$seed" --eval-every "$EVERY" --force
  echo "# seed $seed: $(( $(date +%s) - start )) s wall; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo
echo "## table (eval.csv of each run; mean +- sd over the seeds that finished)"
python3 - "$OUT" $SEEDS <<'PY'
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
PY
