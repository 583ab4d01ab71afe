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
python3 "$root/bench/eval/fmnist-table.py" "$OUT" $SEEDS
