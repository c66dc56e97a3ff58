#!/usr/bin/env bash
# Build the parity fixtures in tests/fixtures/parity/ with the reference package gliner==0.2.29
# (build_fixtures.py: uni and bi cases; build_relex_fixtures.py: relex cases; build_decoder_fixtures.py: decoders).
#
# Usage: bash scripts/parity/make_fixtures.sh [VENV_DIR]
#
# VENV_DIR: a throw-away virtualenv for the reference (default: a new temporary directory).
# It is created if needed; if it already has gliner 0.2.29 it is reused as it is.
# torch==2.13.0 is installed first (pip finds the CPU wheel through its configured local
# wheel directory, which avoids a CUDA download), then gliner==0.2.29 (with transformers 5.16.1
# and tokenizers 0.23.3, the versions the committed fixtures were built with; sentencepiece 0.2.3,
# which trains the DeBERTa cases' tokenizer, is pinned too).
# Everything runs offline as far as Hugging Face is concerned (HF_HUB_OFFLINE=1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/tests/fixtures/parity"

venv="${1:-}"
if [ -z "$venv" ]; then
    venv="$(mktemp -d -t gliner-ref-venv.XXXXXX)"
fi

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false

py="$venv/bin/python"
has_reference() {
    [ -x "$py" ] && "$py" - <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if version("gliner") == "0.2.29" else 1)
EOF
}

if has_reference; then
    echo "make_fixtures: reusing $venv (gliner 0.2.29 present)" >&2
else
    echo "make_fixtures: creating reference venv in $venv" >&2
    if [ ! -x "$py" ]; then
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    "$py" -m pip install --quiet "torch==2.13.0"
    # transformers / tokenizers / sentencepiece pinned to the versions the committed fixtures were
    # made with, so a rebuild reproduces them bit for bit (override with TRANSFORMERS_PIN /
    # TOKENIZERS_PIN / SENTENCEPIECE_PIN).
    "$py" -m pip install --quiet "gliner==0.2.29" \
        "transformers==${TRANSFORMERS_PIN:-5.16.1}" "tokenizers==${TOKENIZERS_PIN:-0.23.3}" \
        "sentencepiece==${SENTENCEPIECE_PIN:-0.2.3}"
    has_reference || { echo "make_fixtures: gliner 0.2.29 not importable in $venv" >&2; exit 1; }
fi

"$py" "$here/build_fixtures.py" "$out"
"$py" "$here/build_relex_fixtures.py" "$out"
"$py" "$here/build_decoder_fixtures.py" "$out"
echo "make_fixtures: fixtures written to tests/fixtures/parity ($(du -sh "$out" | cut -f1))" >&2
