"""Import hygiene: the torch-free parts import without torch, and the sub-packages depend one way only.

The import graph is read from the source with ``ast`` (every ``import`` statement, function-level ones included;
``importlib.import_module`` with a computed name is not seen, so a lazy import also names its module in an
``if TYPE_CHECKING:`` block).
"""

from __future__ import annotations

import ast
import graphlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "gliner_bench"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE
HEAVY = ("torch", "transformers")

# ------------------------------------------------------------------------------------------ torch-free imports
TORCH_FREE = [
    "gliner_bench",
    "gliner_bench.config",
    "gliner_bench.config.defaults",
    "gliner_bench.config.capabilities",
    "gliner_bench.spans.decoding",
    "gliner_bench.text.splitting",
    "gliner_bench.runtimes.precision",  # the CLI reads its choices before any model
    "gliner_bench.measurement.results",
    "gliner_bench.evaluation.metrics",
    "gliner_bench.measurement.bootstrap",
    "gliner_bench.leaderboard",
    "gliner_bench.leaderboard.collect",
    "gliner_bench.leaderboard.tables",
    "gliner_bench.leaderboard.figures",
    "gliner_bench.leaderboard.publish",
]


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_DIR.parent), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("module", TORCH_FREE)
def test_a_torch_free_module_imports_without_torch(module):
    done = _fresh_python(f"import importlib, sys\nimportlib.import_module({module!r})\n"
                         f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"importing {module} imports {done.stdout.strip()}"


def test_the_package_loads_gliner_on_first_use():
    done = _fresh_python(
        "import sys\n"
        "import gliner_bench\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'import gliner_bench loads torch'\n"
        "assert {'GLiNER', 'GLiNERConfig', 'ARCHITECTURES', '__version__'} <= set(gliner_bench.__all__)\n"
        "assert 'GLiNER' in dir(gliner_bench) and gliner_bench.__version__\n"
        "from gliner_bench.config import ARCHITECTURES, GLiNERConfig\n"
        "assert gliner_bench.GLiNERConfig is GLiNERConfig and gliner_bench.ARCHITECTURES is ARCHITECTURES\n"
        "model_class = gliner_bench.GLiNER\n"
        "assert 'torch' in sys.modules\n"
        "from gliner_bench.model import GLiNER\n"
        "from gliner_bench import GLiNER as again\n"
        "assert model_class is GLiNER is again and callable(GLiNER.from_pretrained)\n"
        "from gliner_bench.inference import generation\n"  # a submodule still imports through the package
        "assert generation.__name__ == 'gliner_bench.inference.generation'\n"
        "try:\n"
        "    gliner_bench.NoSuchThing\n"
        "except AttributeError as err:\n"
        "    assert 'NoSuchThing' in str(err)\n"
        "else:\n"
        "    raise AssertionError('an unknown attribute must raise AttributeError')\n"
        "print('ok')\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# ------------------------------------------------------------------------------------------ the import graph
# The package in layers, read from its folders: a module's layer is its top-level folder (``text``, ``inference``
# ...) or, for a module at the root, its own name. Every import points down this list, or stays in its layer:
LAYERS = [
    "version", "data", "text", "config", "measurement",  # package data, plain data and pure functions; results files
    "spans",  # span candidates and greedy decoding (used by the networks and the pipeline)
    "modeling",  # the networks
    "checkpoints",  # reading, writing and assembling checkpoints; deltas; the bundled defaults
    "inference",  # the pipeline, the families' steps, decoding
    "runtimes",  # bf16 / int8 encoders, ONNX export and runtime
    "evaluation",  # metrics, tasks, the harness: over a model it is given
    "training",  # the trainer, objectives, corpus: over a model it is given
    "model", "loading", "gliner_bench",  # the api: GLiNER (and its reference-style evaluate / train_model), by name
    "bench",  # the grid of jobs, which loads models by name
    "leaderboard",  # tables and plots from results files
    "app",  # the Gradio demo
    "cli",
]


def package_modules() -> dict[str, Path]:
    """Dotted name -> source file of every module of the package."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _known(name: str, modules) -> str:
    """The longest prefix of ``name`` that is a module of ours (``gliner_bench.x.Y`` -> ``gliner_bench.x``)."""
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def imports_of(name: str, path: Path, modules) -> set[str]:
    """The package's modules that ``name`` imports, at any depth of its source (functions, classes, ifs)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.update(f"{source}.{alias.name}" for alias in node.names)  # a submodule, or a name in source
    return {_known(m, modules) for m in found if m.split(".")[0] == PACKAGE}


def module_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {name: imports_of(name, path, modules) - {name} for name, path in modules.items()}


def node_of(module: str) -> str:
    """The layer of a module: its top-level folder under the package, or its own name at the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in module_graph().items():
        node = node_of(module)
        graph.setdefault(node, set()).update(t for t in map(node_of, targets) if t != node)
    return graph


def _assert_acyclic(graph: dict[str, set[str]]) -> None:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as err:
        cycle = " imports ".join(reversed(err.args[1]))  # graphlib lists it against the edges' direction
        raise AssertionError(f"import cycle: {cycle}\ngraph: {graph}") from None


def test_every_folder_and_root_module_has_a_layer():
    assert {node_of(m) for m in package_modules()} <= set(LAYERS), "place the new folder in LAYERS"


def test_the_layers_import_one_way():
    graph = layer_graph()
    _assert_acyclic(graph)
    for layer, targets in graph.items():
        higher = {t for t in targets if LAYERS.index(t) > LAYERS.index(layer)}
        assert not higher, f"{layer} imports the higher layers {sorted(higher)}"


def test_each_import_points_down_the_layers():
    """The module that breaks the rule, named (the layer test says only which layers)."""
    for module, targets in module_graph().items():
        bad = {t for t in targets if LAYERS.index(node_of(t)) > LAYERS.index(node_of(module))}
        assert not bad, f"{module} ({node_of(module)}) imports {sorted(bad)}"


def test_no_module_takes_part_in_an_import_cycle():
    """Counting imports inside functions: no module reaches itself through the package's imports."""
    _assert_acyclic(module_graph())


def test_the_leaderboard_reads_only_results_files():
    for module, targets in module_graph().items():
        if module.startswith(f"{PACKAGE}.leaderboard"):
            foreign = {t for t in targets if not t.startswith(f"{PACKAGE}.leaderboard")}
            assert foreign <= {f"{PACKAGE}.measurement", f"{PACKAGE}.measurement.results",
                               f"{PACKAGE}.measurement.bootstrap", f"{PACKAGE}.config",
                               f"{PACKAGE}.config.registry"}, f"{module} imports {foreign}"


def test_evaluation_never_imports_training():
    for module, targets in module_graph().items():
        if module.startswith(f"{PACKAGE}.evaluation"):
            assert not {t for t in targets if t.startswith(f"{PACKAGE}.training")}, module


if __name__ == "__main__":  # print the layer graph: python tests/test_imports.py
    graph = layer_graph()
    for node in sorted(graph):
        print(f"  {node} -> {', '.join(sorted(graph[node])) or '(nothing)'}")
