"""The demo under load, as visitors meet it: requests at the app's limits, and concurrent visitors.

    .venv/bin/python scripts/bench/app_load.py [--serving int8] [--users 1,20,50] [--output leaderboards/app/load.json]

1. **At the limits** (``app/limits.py``): each tab's largest request (the longest text, the most labels, every model
   the tab serves) through the app's service functions, timed per model. The text is the app's example sentences
   repeated up to the character limit: dense with entities, so the decoders generate a label for each of many spans
   (their worst case).
2. **Concurrent visitors**: the app served on a local port (as ``gliner-bench demo`` serves it, examples
   precomputed), then N ``gradio_client`` visitors at once, each sending its own Compare request (a ~60-word text,
   four labels, every model; never a precomputed example). Reported: how many were served or turned away, the
   p50 / p95 of the time from submission to answer, queueing included, and what the queue told the waiting
   visitors (their position, and whether it came with an estimated wait: the page shows both).

Peak memory is the process's maximum resident set size (server and clients share the process). Everything runs on
this machine's CPU with torch's default threads; the results file records device, threads and versions.
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

from gliner_bench.app import examples, service
from gliner_bench.app.limits import LIMITS, parse_labels
from gliner_bench.app.models import ModelPool
from gliner_bench.app.ui import (
    DISCOVERY_THRESHOLD,
    RELATION_THRESHOLD,
    _entity_only,
    _schema,
    build_app,
    serve,
    warm_up,
)
from gliner_bench.measurement.environment import describe

ALL = examples.COMPARE + examples.RELATIONS + examples.DISCOVERY + examples.MANY


def limit_text(max_chars: int = LIMITS.max_chars) -> str:
    """The app's example sentences, repeated, cut at the last sentence that fits in ``max_chars``."""
    out, i = [], 0
    while len(" ".join(out + [ALL[i % len(ALL)].text])) <= max_chars:
        out.append(ALL[i % len(ALL)].text)
        i += 1
    return " ".join(out)


def at_the_limits(pool: ModelPool) -> list[dict]:
    """Each tab's largest request; seconds per model and in all (the models of one request run one after another)."""
    text = limit_text()
    schema = parse_labels(_schema(), LIMITS.max_schema_labels)[0]
    labels = schema[:LIMITS.max_labels]
    relation_types = [f"relation {i}" for i in range(LIMITS.max_relations - 3)] + ["works for", "born in",
                                                                                 "located in"]
    requests = {
        "compare": lambda: service.compare(pool, pool.names(), text, labels, 0.5),
        "relations": lambda: service.relations(pool, pool.names("relations"), text, labels, relation_types,
                                               0.5, RELATION_THRESHOLD),
        "discovery": lambda: service.discover(pool, pool.names("generated_labels"),
                                              limit_text(LIMITS.max_discovery_chars), labels, DISCOVERY_THRESHOLD,
                                              None, LIMITS.max_generated),
        "many labels": lambda: service.many_labels(pool, pool.names(_entity_only), text, schema, 0.5),
    }
    rows = []
    for tab, call in requests.items():
        start = time.perf_counter()
        outs = call()
        total = time.perf_counter() - start
        chars = LIMITS.max_discovery_chars if tab == "discovery" else LIMITS.max_chars
        rows.append({"tab": tab, "characters": len(limit_text(chars)), "seconds": round(total, 2),
                     "labels": len(schema) if tab == "many labels" else len(labels),
                     "models": {o.model: {"seconds": round(o.seconds or 0, 2), "backend": o.backend,
                                          "entities": len(o.entities), "error": o.error} for o in outs}})
        print(f"{tab:12s} {rows[-1]['characters']:,} chars: {total:5.1f} s  " +
              ", ".join(f"{o.model} {o.seconds or 0:.1f}" for o in outs), flush=True)
    return rows


VISITOR = ("{name} met the board of {org} in {city} on Tuesday to discuss a new factory. "
           "The plan, first reported by a local newspaper, would create about {n} jobs by 2027, "
           "according to a statement from the regional government. Critics in {city} said the site "
           "near the river was chosen without a public hearing.")
NAMES = ["Angela Merkel", "Emmanuel Macron", "Satya Nadella", "Marie Curie", "Nelson Mandela"]
ORGS = ["Siemens", "Airbus", "Microsoft", "Renault", "Philips"]
CITIES = ["Hamburg", "Lyon", "Seattle", "Turin", "Rotterdam"]


def visitor_text(i: int) -> str:
    """Visitor i's own text: distinct for every i, so none is served from the precomputed examples."""
    return VISITOR.format(name=NAMES[i % 5], org=ORGS[i // 5 % 5], city=CITIES[i // 25 % 5], n=100 + i)


def concurrent(url: str, users: int, models: list[str]) -> dict:
    """``users`` visitors submit at once; each waits for its answer. Times from submission to answer."""
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(users)]
    times, failures, lock = [], [], threading.Lock()
    ranks, etas = [], []  # what the queue told each visitor while it waited (the page shows the same)

    def visit(i: int) -> None:
        start = time.perf_counter()
        try:
            job = clients[i].submit(visitor_text(i), "person, organization, location, date", 0.5, True, False, models,
                                    api_name="/on_compare")
            while not job.done():
                status = job.status()
                if status.rank is not None:
                    with lock:
                        ranks.append(status.rank)
                        etas.append(status.eta)
                time.sleep(0.25)
            job.result()
            with lock:
                times.append(time.perf_counter() - start)
        except Exception as err:  # turned away, or failed: counted, with its message
            with lock:
                failures.append(f"{type(err).__name__}: {str(err)[:120]}")

    threads = [threading.Thread(target=visit, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = sorted(times)

    def pct(p: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2) if ordered else None

    row = {"users": users, "served": len(times), "failed": len(failures), "failures": sorted(set(failures))[:5],
           "p50_seconds": round(statistics.median(ordered), 2) if ordered else None, "p95_seconds": pct(0.95),
           "max_seconds": round(ordered[-1], 2) if ordered else None,
           "max_queue_position_shown": max(ranks, default=None),
           "waits_with_an_estimate": sum(e is not None for e in etas), "waits_seen": len(etas)}
    print(f"{users:3d} users: served {row['served']}, failed {row['failed']}, p50 {row['p50_seconds']} s, "
          f"p95 {row['p95_seconds']} s, max {row['max_seconds']} s; queue position shown up to "
          f"{row['max_queue_position_shown']}, with a wait estimate in {row['waits_with_an_estimate']} of "
          f"{row['waits_seen']} polls", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serving", choices=["int8", "fp32"], default="int8")
    parser.add_argument("--users", default="1,20,50", help="comma-separated numbers of concurrent visitors")
    parser.add_argument("--skip-limits", action="store_true")
    parser.add_argument("--output", type=Path, default=None, help="write the figures here (JSON)")
    args = parser.parse_args(argv)

    pool = ModelPool.from_config("", serving=args.serving)
    cache = service.Precomputed()
    start = time.perf_counter()
    warm_up(pool, cache, background=False)
    print(f"loaded {len(pool.names())} models and precomputed {len(cache)} outputs in "
          f"{time.perf_counter() - start:.0f} s ({args.serving})", flush=True)
    limits = [] if args.skip_limits else at_the_limits(pool)
    demo = build_app(pool, precomputed=cache)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        load = [concurrent(f"http://127.0.0.1:{port}/", int(n), pool.names()) for n in args.users.split(",")]
    finally:
        demo.close()
    result = {"benchmark": "app load", "serving": args.serving, "limits": LIMITS.__dict__,
              "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
              "environment": describe("cpu"), "at_the_limits": limits, "concurrent_compare": load}
    print(f"peak RSS {result['peak_rss_gb']} GB")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
