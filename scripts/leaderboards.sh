#!/usr/bin/env bash
# Reproduce every measured figure of leaderboards/ with one command:
#   bash scripts/leaderboards.sh
# Sets up (idempotent), builds the offline corpus if absent (its held-out splits are the built_* tasks),
# evaluates the bundled defaults on the zero-shot tasks (WNUT-16, CoNLL-03 per sentence and per document, MSRA, NEMO,
# hironsan; WNUT-16 also as raw text: the tweets as plain strings, split by the model itself) and the held-out data,
# scales the labels to 256 on WNUT-16 and CoNLL-03, and times them on
# this machine, then regenerates the tables and figures. Results that exist are kept (the grid skips them):
# delete a file, or run with OVERWRITE=--overwrite, to measure again. MODELS=... (comma-separated) adds or
# restricts models; THREADS=N sets torch threads (default: torch's choice).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
gb=.venv/bin/gliner-bench
export GLINER_BENCH_DATA="${GLINER_BENCH_DATA:-data/built}"
if [ ! -f "$GLINER_BENCH_DATA/relex_heldout.jsonl" ]; then  # (re)building keeps train/heldout.jsonl as they were
  "$gb" build-data --output "$GLINER_BENCH_DATA" --max-sentences 30000
fi
MODELS="${MODELS:-$(.venv/bin/python -c 'from gliner_bench.loading import bundled_names; print(",".join("bundled:" + n for n in bundled_names()))')}"
OUT=leaderboards/results
common=(--models "$MODELS" --output "$OUT" --no-progress --threads "${THREADS:-0}" ${OVERWRITE:-})
# zero-shot tasks: WNUT-16 (English tweets), CoNLL-03 (English news, per sentence and per whole document), MSRA
# (Chinese), NEMO (Hebrew), hironsan (Japanese); decoder-token decodes once per threshold, so it sweeps three
zero_shot=wnut16,conll03,msra,nemo,hironsan
if [[ ",$MODELS," == *",bundled:decoder-token,"* ]]; then  # its jobs then exist, and the runs below skip them
  one=(--models bundled:decoder-token --output "$OUT" --no-progress --threads "${THREADS:-0}" ${OVERWRITE:-})
  "$gb" evaluate "${one[@]}" --tasks "$zero_shot,built_heldout_spacy,built_heldout,built_relations" --thresholds 0.3,0.5,0.7
  "$gb" evaluate "${one[@]}" --tasks conll03 --unit document --thresholds 0.3,0.5,0.7
  "$gb" evaluate "${one[@]}" --tasks wnut16 --text-mode raw --thresholds 0.3,0.5,0.7
fi
"$gb" evaluate "${common[@]}" --tasks "$zero_shot,built_heldout_spacy,built_heldout,built_relations"
"$gb" evaluate "${common[@]}" --tasks conll03 --unit document  # -> evaluate/<model>__conll03__doc.json
"$gb" evaluate "${common[@]}" --tasks wnut16 --text-mode raw  # -> evaluate/<model>__wnut16__raw.json
"$gb" scale "${common[@]}" --tasks wnut16 --ks 1,2,4,8,16,32,64,128,256 --max-examples 200
# CoNLL-03's curve for the uni- and bi-encoders (uni against bi), those of them in MODELS
uni_bi=$(tr ',' '\n' <<< "$MODELS" | grep -E '^bundled:(uni|bi)-(span|token)$' | paste -sd, -)
[ -z "$uni_bi" ] || "$gb" scale --models "$uni_bi" --output "$OUT" --no-progress --threads "${THREADS:-0}" ${OVERWRITE:-} \
  --tasks conll03 --ks 1,2,4,8,16,32,64,128,256 --max-examples 300
"$gb" throughput "${common[@]}" --tasks wnut16 --batch-sizes 8 --label-counts 16,64,256 --max-examples 64
"$gb" throughput "${common[@]}" --tasks wnut16 --batch-sizes 1,8 --max-examples 64
"$gb" leaderboard --readme README.md
