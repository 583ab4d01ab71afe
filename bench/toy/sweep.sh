#!/usr/bin/env bash
# sweep.sh OUT_DIR [DEVICE] — runs bench/toy/seeds.sh once per setting of the mode-coverage
# options (packing, generator EMA, learning-rate schedule), each into OUT_DIR/LABEL (its table in
# OUT_DIR/LABEL.txt), then prints one line per setting and mixture: mean modes, high-quality
# samples, reverse KL and wall time over the seeds, beside PacGAN's Table 1.
#   JGAN_SETTINGS  "label:options;label:options" (default: the list below)
#   JGAN_SEEDS, JGAN_DATA  as for seeds.sh (seeds 1..5, both mixtures)
#   JGAN_EXTRA     options added to every setting (e.g. "--steps 2000" for a quick look)
# A full sweep is long (5 settings x 2 mixtures x 5 seeds x ~2-3 min on 2 CPU cores; the defaults
# include --r1 10 since issue 11): on a shared
# machine run one setting or one mixture at a time.
set -euo pipefail
out="${1:?usage: sweep.sh OUT_DIR [DEVICE]}"
device="${2:-auto}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
settings="${JGAN_SETTINGS:-default:;no-r1:--r1 0;r1-1:--r1 1;r1-30:--r1 30;pack2-ema-cosine:--r1 0 --pack 2 --ema 0.999 --lr-schedule cosine --lr-final 0}"
mkdir -p "$out"
labels=()
IFS=';' read -r -a items <<< "$settings"
for item in "${items[@]}"; do
  label="${item%%:*}"; opts="${item#*:}"
  [ -n "$label" ] || { echo "sweep.sh: a setting without a label in JGAN_SETTINGS: '$item'" >&2; exit 2; }
  labels+=("$label")
  echo "== $label: ${opts:-(defaults)} ${JGAN_EXTRA:-}"
  # shellcheck disable=SC2086 # options are words
  bash "$here/seeds.sh" "$out/$label" "$device" $opts ${JGAN_EXTRA:-} | tee "$out/$label.txt"
done
python3 - "$out" "${JGAN_DATA:-ring8 grid25}" "${JGAN_SEEDS:-1 2 3 4 5}" "${labels[@]}" <<'PY'
import json, os, sys
out, datas, seeds, labels = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4:]
pacgan = {"ring8": [("GAN", 6.3, 98.2, 0.45), ("PacGAN2", 7.9, 95.6, 0.07)],
          "grid25": [("GAN", 17.3, 94.8, 0.70), ("PacGAN2", 23.8, 91.3, 0.13)]}
for data in datas:
    print(f"{data} (mean of seeds {' '.join(seeds)}): setting, modes (each seed), high-quality, reverse KL, wall(s)")
    for label in labels:
        rows = []
        for s in seeds:
            run = os.path.join(out, label, f"{data}-seed{s}")
            m = json.load(open(os.path.join(run, "metrics.json")))
            wall = int(open(os.path.join(run, "wall_ms.txt")).read()) / 1000
            rows.append((m["modes_captured"], 100 * m["high_quality_fraction"], m["reverse_kl"], wall))
        n = len(rows)
        each = ",".join(str(r[0]) for r in rows)
        print(f"  {label:<20} {sum(r[0] for r in rows)/n:5.1f} ({each})  {sum(r[1] for r in rows)/n:5.1f}%  "
              f"{sum(r[2] for r in rows)/n:6.3f}  {sum(r[3] for r in rows)/n:6.1f}")
    for name, c, hq, kl in pacgan[data]:
        print(f"  {'PacGAN ' + name:<20} {c:5.1f}  {hq:5.1f}%  {kl:6.3f}")
    print()
PY
