"""The Gradio app: ``build_app()`` returns the ``gr.Blocks``; ``launch()`` serves it (``app.py``, ``gliner-bench demo``)."""

from __future__ import annotations


def build_app(pool=None, leaderboards=None, precomputed=None):
    from .ui import build_app as _build

    return _build(pool, leaderboards, precomputed)


def launch(models: str | None = None, bundled: bool = True, host: str | None = None, port: int | None = None,
           precision: str = "fp32", **kwargs):
    """Build the app on the bundled defaults plus ``models`` (``name=spec,...``; default
    ``$GLINER_BENCH_APP_MODELS``), their encoders in ``precision`` (fp32, bf16, int8), and serve it. Blocks until stopped unless ``prevent_thread_lock=True``."""
    from .models import ModelPool
    from .service import Precomputed
    from .ui import serve, warm_up

    pool = ModelPool.from_config(models, bundled=bundled, precision=precision)
    cache = Precomputed()
    warm_up(pool, cache)  # loads every model, then computes the examples, in the background
    demo = build_app(pool, precomputed=cache)
    serve(demo, server_name=host, server_port=port, show_error=False, footer_links=["gradio", "settings"], **kwargs)
    return demo


__all__ = ["build_app", "launch"]
