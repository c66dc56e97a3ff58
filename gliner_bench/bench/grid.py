"""A run is a grid of independent jobs (model x task x k ...), each writing one results file.

``run_grid`` skips jobs whose results file exists, runs the rest on a backend, and writes every record
atomically. A job that raises fails alone: its error is recorded in its results file (``status: "error"``)
and the grid goes on.

Backends:
- ``local``: in this process; each model is loaded once and reused across its jobs;
- ``ray``: Ray tasks on an existing cluster (``ray.init(address=...)``; ``None`` starts a local instance).
  Each worker process keeps the models it loaded, so a model loads once per worker; records come back to
  the driver, which writes them, so workers need no shared file system (they do need the checkpoints).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluation import harness
from ..evaluation.tasks import get_task, load_split
from ..measurement import environment
from ..measurement.results import ResultsError, make_record, read_result, result_path, write_json_atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    experiment: str  # evaluate | scale | order | throughput
    model: str  # checkpoint directory, hub id, or untrained:<Architecture>
    task: str  # registered task name or a file path
    params: tuple[tuple[str, object], ...] = field(default=())

    @property
    def args(self) -> dict:
        return dict(self.params)

    @property
    def key(self) -> str | None:
        """The file-name suffix that tells this job from the model's other jobs on the task: ``k<k>`` (scale),
        ``b<batch>-l<labels>`` (throughput), ``doc`` / ``raw`` / ``doc-raw`` (evaluate in the document unit and/or
        the raw-text protocol; sentences in the words protocol have none, so those results keep the names they
        always had), then ``-<precision>`` unless fp32."""
        a = self.args
        key = None
        if self.experiment == "evaluate":  # doc, raw or doc-raw; sentence-unit words results have none
            parts = ["doc"] * (a.get("unit", "sentence") == "document") + ["raw"] * (a.get("text_mode") == "raw")
            key = "-".join(parts) or None
        elif self.experiment == "scale":
            key = f"k{a['k']}"
        elif self.experiment == "throughput":
            key = f"b{a['batch_size']}-l{a.get('labels', 'task')}"
        precision = a.get("precision", "fp32")  # fp32 files keep the names they always had
        if precision != "fp32":
            key = f"{key}-{precision}" if key else precision
        return key

    def path(self, output: str | Path) -> Path:
        return result_path(output, self.experiment, self.model, self.task, self.key)


def plan(experiment: str, models: Sequence[str], tasks: Sequence[str], **params) -> list[Job]:
    """Every (model, task) pair, times the list-valued parameter ``ks`` (scale), ``batch_sizes`` and
    ``label_counts`` (throughput) or ``text_modes`` (evaluate: ``words`` and/or ``raw``, recorded as the job's
    ``text_mode``)."""
    jobs = []
    for model in models:
        for task in tasks:
            if experiment == "evaluate" and ("text_modes" in params or "units" in params):
                base = {k: v for k, v in params.items() if k not in ("text_modes", "units")}
                for unit in params.get("units", ("sentence",)):
                    if unit not in harness.UNITS:
                        raise ValueError(f"unit {unit!r}: expected one of {harness.UNITS}.")
                    for mode in params.get("text_modes", ("words",)):
                        if mode not in harness.TEXT_MODES:
                            raise ValueError(f"text mode {mode!r}: expected one of {harness.TEXT_MODES}.")
                        extra = {"text_mode": mode} | ({"unit": unit} if unit != "sentence" else {})
                        jobs.append(Job("evaluate", model, task, tuple(sorted((base | extra).items()))))
            elif experiment == "scale":
                base = {k: v for k, v in params.items() if k != "ks"}
                jobs += [Job("scale", model, task, tuple(sorted((base | {"k": k}).items()))) for k in params["ks"]]
            elif experiment == "throughput":
                base = {k: v for k, v in params.items() if k not in ("batch_sizes", "label_counts")}
                for b in params.get("batch_sizes", (8,)):
                    for n in params.get("label_counts", (None,)):
                        extra = {"batch_size": b} | ({"labels": n} if n else {})
                        jobs.append(Job("throughput", model, task, tuple(sorted((base | extra).items()))))
            else:
                jobs.append(Job(experiment, model, task, tuple(sorted(params.items()))))
    return jobs


# ---------------------------------------------------------------------------------------------- one job
_MODELS: dict[tuple[str, str, str], object] = {}  # per process (a Ray worker keeps its own)


def load_cached(spec: str, device: str = "cpu", precision: str = "fp32"):
    from ..loading import load_model

    if (spec, device, precision) not in _MODELS:
        _MODELS[(spec, device, precision)] = load_model(spec, device, precision)
    return _MODELS[(spec, device, precision)]


def model_info(spec: str, model) -> dict:
    """What a results file says of its model; ``weights_sha256`` is the SHA-256 of the weights file the model was
    loaded from (``None`` for an ``untrained:`` model built in memory); ``score_calibration`` the map its entity
    scores went through (``None``: raw)."""
    return {"id": spec, "architecture": model.config.architecture, "backbone": model.config.model_name,
            "parameters": model.num_parameters(), "revision": None, "weights_sha256": model.weights_digest(),
            "precision": model.precision, "backend": model.backend,
            "score_calibration": model.config.score_calibration}


def task_info(task) -> dict:
    from ..evaluation.corpora import SOURCES
    from ..evaluation.tasks import PACKAGED

    sources = {split: SOURCES[PACKAGED[key][0]] for split, key in task.files.items()}
    files = {split: {"file": f"{src.requirement}/{src.path}", "sha256": src.sha256} for split, src in sources.items()}
    return {"name": task.name, "source": task.source, "revision": task.revision, "pinned": task.pinned,
            "splits": list(task.splits), "labels": dict(task.labels), "nested": task.nested,
            "license": task.license, "domain": task.domain, "language": task.language, "documents": task.documents,
            **({"files": files} if files else {})}


def run_job(job: Job) -> dict:
    """The job's results record (never raises: an error becomes an error record)."""
    a = job.args
    device = a.get("device", "cpu")
    model_part, task_part, figures, error = {"id": job.model}, {"name": job.task}, None, None
    try:
        task = get_task(job.task)
        task_part = task_info(task)
        model = load_cached(job.model, device, a.get("precision", "fp32"))
        model_part = model_info(job.model, model)
        figures = _run(job.experiment, model, task, a)
    except Exception as err:  # noqa: BLE001 - one job's failure must not stop the grid
        error = f"{type(err).__name__}: {err}"
        log.error("job %s %s on %s failed: %s\n%s", job.experiment, job.model, job.task, error,
                  traceback.format_exc())
    return make_record(job.experiment, model_part, task_part, a, figures, environment.describe(device), error)


def _test_split(task) -> str:
    return "test" if "test" in task.splits else task.splits[-1]


def _limit(examples, n):
    return examples[:n] if n else examples


def _run(experiment: str, model, task, a: dict) -> dict:
    batch_size = a.get("batch_size", 8)
    test = _limit(load_split(task, _test_split(task)), a.get("max_examples"))
    if experiment == "evaluate":
        dev_name = next((s for s in ("dev", "validation") if s in task.splits), None)
        dev = _limit(load_split(task, dev_name), a.get("max_examples")) if dev_name else None
        return harness.evaluate(model, task, dev, test, a.get("thresholds", harness.DEFAULT_THRESHOLDS), batch_size,
                                a.get("text_mode", "words"), a.get("unit", "sentence"))
    if experiment == "scale":
        return harness.scale(model, task, test, a["k"], a.get("threshold", 0.5), a.get("seed", 0), batch_size)
    if experiment == "order":
        return harness.order_sensitivity(model, task, test, a.get("orders", 5), a.get("threshold", 0.5),
                                         a.get("seed", 0), batch_size)
    if experiment == "throughput":
        labels = task.label_names
        if a.get("labels"):
            labels, _ = harness.label_set_for_k(task, a["labels"], a.get("seed", 0))
        texts = [ex.tokens for ex in test]
        return harness.throughput(model, texts, labels, batch_size, a.get("repeats", 3))
    raise ValueError(f"Unknown experiment {experiment!r}.")


# ---------------------------------------------------------------------------------------------- the grid
def _succeeded(path: Path) -> bool:
    try:
        return path.is_file() and read_result(path).get("status") == "ok"
    except ResultsError:
        return False


def run_grid(jobs: Sequence[Job], output: str | Path, backend: str = "local", ray_address: str | None = None,
             overwrite: bool = False, progress: bool = True,
             on_record: Callable[[Job, dict], None] | None = None) -> dict:
    """Run the jobs without a successful result (all with ``overwrite``): a missing, unreadable or failed
    result runs again. Returns counts and failures."""
    todo = [j for j in jobs if overwrite or not _succeeded(j.path(output))]
    skipped = len(jobs) - len(todo)
    if skipped:
        log.info("%d of %d jobs have a successful result already: skipped (--overwrite to rerun)", skipped, len(jobs))
    failed = []

    def done(job: Job, record: dict) -> None:
        write_json_atomic(job.path(output), record)
        if record["status"] != "ok":
            failed.append((job, record["error"]))
        if on_record:
            on_record(job, record)

    bar = _bar(len(todo), progress)
    if backend == "local":
        for job in todo:
            done(job, run_job(job))
            bar.update(1)
    elif backend == "ray":
        _run_ray(todo, ray_address, done, bar)
    else:
        raise ValueError(f"Unknown backend {backend!r}; use 'local' or 'ray'.")
    bar.close()
    return {"jobs": len(jobs), "skipped": skipped, "ran": len(todo), "failed": failed}


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled or total == 0, desc="jobs", unit="job")


def _run_ray(jobs: Sequence[Job], address: str | None, done, bar) -> None:
    try:
        import ray
    except ImportError as err:
        raise RuntimeError("--backend ray needs Ray: pip install 'ray>=2.9' (and a cluster, or none for a local "
                           "instance).") from err
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(run_job)
    pending = {remote.remote(job): job for job in jobs}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            job = pending.pop(ref)
            try:
                record = ray.get(ref)
            except Exception as err:  # noqa: BLE001 - a worker that died: record it, go on
                record = make_record(job.experiment, {"id": job.model}, {"name": job.task}, job.args, None,
                                     environment.describe("cpu"), f"{type(err).__name__}: {err}")
            done(job, record)
            bar.update(1)
