"""The gliner-bench Space: every GLiNER architecture side by side (``python app.py``; ``gliner-bench demo``).

Serves the bundled defaults; add checkpoints with GLINER_BENCH_APP_MODELS="name=dir-or-hub-id,...".
"""

from gliner_bench.app import launch

if __name__ == "__main__":
    launch()
