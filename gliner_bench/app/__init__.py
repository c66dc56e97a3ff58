"""The Gradio app: ``build_app()`` returns the ``gr.Blocks``; ``launch()`` serves it (``app.py``, ``gliner-bench demo``)."""

from __future__ import annotations


def build_app(pool=None, leaderboards=None, precomputed=None):
    from .ui import build_app as _build

    return _build(pool, leaderboards, precomputed)


def launch(models: str | None = None, bundled: bool = True, host: str | None = None, port: int | None = None,
           precision: str = "fp32", serving: str | None = None, **kwargs):
    """Build the app on the bundled defaults plus ``models`` (``name=spec,...``; default
    ``$GLINER_BENCH_APP_MODELS``) and serve it. Blocks until stopped unless ``prevent_thread_lock=True``.

    ``serving`` (``serving.py``): "int8" serves the uni- and bi-encoders through ONNX int8 (the default with fp32
    ``precision``), "fp32" every model in torch. ``precision`` (fp32, bf16, int8) sets the torch encoders' precision
    and, when not fp32, implies ``serving="fp32"``."""
    from .models import ModelPool
    from .service import Precomputed
    from .ui import serve, warm_up

    serving = serving or ("int8" if precision == "fp32" else "fp32")
    pool = ModelPool.from_config(models, bundled=bundled, precision=precision, serving=serving)
    cache = Precomputed()
    warm_up(pool, cache)  # loads every model, then computes the examples, in the background
    demo = build_app(pool, precomputed=cache)
    serve(demo, server_name=host, server_port=port, show_error=False, footer_links=["gradio", "settings"], **kwargs)
    return demo


__all__ = ["build_app", "launch"]
