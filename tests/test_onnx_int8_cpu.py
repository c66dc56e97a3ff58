"""ONNX int8 answers that do not depend on the CPU (issue 24).

onnxruntime's x86 int8 kernels differ by instruction set. With int8 weights (u8 x s8), a CPU without VNNI sums pairs
of products in saturating 16 bits, so the same export answered differently on an AVX2-only CPU. Our exports use
uint8 weights (u8 x u8), whose products every kernel computes exactly. Checked here: what the export holds, that an
export with int8 weights is refused where it would drift, that the CPU's instruction set is recorded, and (marked
slow, where qemu-user is installed) that an export answers the same under an emulated AVX2-only CPU as on this one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gliner_bench import GLiNER
from gliner_bench.measurement import environment
from gliner_bench.runtimes.onnx import MANIFEST_FILE
from gliner_bench.runtimes.onnx.export import INT8_SCHEME, ExportError, export_onnx
from gliner_bench.runtimes.onnx.runtime import ExportFolderError, check_int8_scheme

EPYC_ROME = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu sse2 avx avx2 fma bmi2 sha_ni\n"
SAPPHIRE = ("model name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: fpu avx avx2 avx512f avx512_vnni avx512_bf16 "
            "amx_bf16 amx_tile amx_int8\n")
ALDER_LAKE = "flags\t\t: fpu avx avx2 avx_vnni\n"


def test_the_cpu_flags_are_read_from_cpuinfo():
    assert environment.parse_cpu_flags(EPYC_ROME) == ("avx2",)
    assert environment.parse_cpu_flags(SAPPHIRE) == ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile",
                                                     "amx_int8", "amx_bf16")
    assert environment.parse_cpu_flags("model name\t: no flags line\n") == ()
    assert not environment.has_vnni(("avx2",))
    assert environment.has_vnni(environment.parse_cpu_flags(SAPPHIRE))
    assert environment.has_vnni(environment.parse_cpu_flags(ALDER_LAKE))


def test_every_results_environment_names_the_instruction_set():
    env = environment.describe("cpu")
    assert isinstance(env["cpu_flags"], list) and set(env["cpu_flags"]) <= set(environment.ISA_FLAGS)
    assert env["cpu_flags"] == list(environment.cpu_flags())


@pytest.fixture(scope="module")
def int8_export(tiny_backbone, tmp_path_factory):
    from conftest import make_model

    model = make_model(tiny_backbone)
    return model, export_onnx(model, tmp_path_factory.mktemp("int8"), quantize="int8")


def test_the_int8_export_multiplies_uint8_by_uint8(int8_export):
    import onnx

    _, folder = int8_export
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["int8_scheme"] == INT8_SCHEME == "u8u8" and manifest["smoothing_alpha"] == 0.7
    graph = onnx.load(str(folder / "model.onnx")).graph
    integer = [n for n in graph.node if n.op_type == "MatMulInteger"]
    assert integer, "no int8 product in the int8 export"
    weights = {t.name: t for t in graph.initializer}
    for node in integer:  # MatMulInteger(A, B, a_zero_point, b_zero_point): B is the quantised weight
        assert weights[node.input[1]].data_type == onnx.TensorProto.UINT8, f"{node.name}: weights are not uint8"


def _legacy(folder: Path, tmp_path: Path) -> Path:
    """``folder``'s export as an earlier gliner-bench wrote it: int8 without ``int8_scheme``."""
    old = Path(shutil.copytree(folder, tmp_path / "legacy"))
    manifest = json.loads((old / MANIFEST_FILE).read_text())
    del manifest["int8_scheme"]
    (old / MANIFEST_FILE).write_text(json.dumps(manifest))
    return old


def test_an_export_with_int8_weights_is_refused_on_a_cpu_without_vnni(int8_export, tmp_path, monkeypatch):
    _, folder = int8_export
    old = _legacy(folder, tmp_path)
    manifest = json.loads((old / MANIFEST_FILE).read_text())
    with pytest.raises(ExportFolderError, match="no VNNI.*Export it again"):
        check_int8_scheme(old, manifest, ("avx2",))
    check_int8_scheme(old, manifest, ("avx2", "avx512f", "avx512_vnni"))  # exact there: accepted
    check_int8_scheme(folder, json.loads((folder / MANIFEST_FILE).read_text()), ("avx2",))  # u8u8: anywhere
    monkeypatch.setattr(environment, "cpu_flags", lambda: ("avx2",))
    with pytest.raises(ExportFolderError, match="no VNNI"):
        GLiNER.from_pretrained(old)
    assert GLiNER.from_pretrained(folder).precision == "int8"


def test_the_faster_u8s8_scheme_is_recorded_and_refused_where_it_would_drift(int8_export, tmp_path):
    import onnx

    model, _ = int8_export
    folder = export_onnx(model, tmp_path / "u8s8", quantize="int8", int8_scheme="u8s8")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["int8_scheme"] == "u8s8" and manifest["smoothing_alpha"] == 0.6
    graph = onnx.load(str(folder / "model.onnx")).graph
    weights = {t.name: t.data_type for t in graph.initializer}
    assert {weights[n.input[1]] for n in graph.node if n.op_type == "MatMulInteger"} == {onnx.TensorProto.INT8}
    with pytest.raises(ExportFolderError, match="no VNNI"):
        check_int8_scheme(folder, manifest, ("avx2",))
    check_int8_scheme(folder, manifest, ("avx2", "avx_vnni"))
    with pytest.raises(ExportError, match="Unknown int8 scheme 'u4'"):
        export_onnx(model, tmp_path / "bad", quantize="int8", int8_scheme="u4")
    assert not (tmp_path / "bad").exists()


_PREDICT = """
import json, sys
from gliner_bench import GLiNER
m = GLiNER.from_pretrained(sys.argv[1])
texts = ["Angela Merkel met Emmanuel Macron in Paris on Monday .", "Tim Cook runs Apple in Cupertino ."]
print(json.dumps(m.inference(texts, ["person", "city", "company"], threshold=0.0)))
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-x86_64") is None, reason="needs qemu-user (apt-get install qemu-user)")
def test_the_int8_export_answers_the_same_on_an_emulated_avx2_only_cpu(int8_export):
    """qemu's EPYC-Rome model has AVX2 and no AVX-512 or VNNI, as the CPU where the u8 x s8 export drifted."""
    _, folder = int8_export

    def run(prefix: list[str]) -> list:
        out = subprocess.run([*prefix, sys.executable, "-c", _PREDICT, str(folder)], check=True, text=True,
                             capture_output=True, timeout=900)
        return json.loads(out.stdout)

    here, avx2 = run([]), run(["qemu-x86_64", "-cpu", "EPYC-Rome"])
    assert sum(map(len, here)) > 3  # threshold 0: every span the model scores above 0
    for doc_here, doc_avx2 in zip(here, avx2, strict=True):
        assert [(e["start"], e["end"], e["label"]) for e in doc_here] == \
               [(e["start"], e["end"], e["label"]) for e in doc_avx2]
        assert all(abs(a["score"] - b["score"]) < 1e-5 for a, b in zip(doc_here, doc_avx2, strict=True))
