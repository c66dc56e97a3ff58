"""The architecture registry (config/registry.py) is the one list of architectures and families: every table of the
package agrees with it, and every module a family runs on implements the family's Protocol (issue 29)."""

from __future__ import annotations

import inspect

import pytest

import gliner_bench
from gliner_bench import model as model_module
from gliner_bench.config import ARCHITECTURES, GLiNERConfig, derive_architecture, registry
from gliner_bench.config.defaults import DEFAULTS, config_for
from gliner_bench.inference.families import FAMILIES, Family, family_class
from gliner_bench.inference.families.bi import FusingBiModule
from gliner_bench.inference.families.decoder import SpanDecoderModule
from gliner_bench.leaderboard import tables
from gliner_bench.modeling import FAMILY_MODULES, MODEL_CLASSES
from gliner_bench.runtimes.onnx.export import EXPORTABLE
from gliner_bench.runtimes.onnx.runtime import OnnxBiModule, OnnxUniModule
from gliner_bench.training.objectives import OBJECTIVES

ARCHS = registry.ARCHITECTURES
ONNX_MODULES = {"uni": OnnxUniModule, "bi": OnnxBiModule}  # the families whose models export (registry)


def test_every_table_of_architectures_or_families_is_the_registrys():
    names = [a.name for a in ARCHS]
    assert list(ARCHITECTURES) == names == list(MODEL_CLASSES) == list(DEFAULTS)
    assert set(FAMILIES) == set(registry.FAMILIES) == set(OBJECTIVES) == set(FAMILY_MODULES) == {a.family for a in ARCHS}
    assert list(EXPORTABLE) == [a.name for a in ARCHS if registry.FAMILIES[a.family].onnx_export]
    assert set(ONNX_MODULES) == {f.name for f in registry.FAMILIES.values() if f.onnx_export}
    assert tables.FAMILIES == {a.name: a.family for a in ARCHS}
    assert len({a.default for a in ARCHS}) == len(ARCHS)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.name)
def test_each_architecture_is_what_the_registry_says(arch):
    cls = MODEL_CLASSES[arch.name]
    assert cls.__name__ == arch.name and cls.__module__ == f"gliner_bench.modeling.{arch.family}"
    config = config_for(arch.name)
    assert derive_architecture(config) == arch.name and config.family == arch.family
    assert config.is_token_level == (arch.level == "token")
    assert DEFAULTS[arch.name].name == arch.default
    assert family_class(arch.family).capabilities == arch.capabilities
    reference_class = getattr(model_module, arch.reference_class)  # the reference's class name, exported
    assert reference_class.architecture == arch.name and getattr(gliner_bench, arch.reference_class) is reference_class
    assert OBJECTIVES[arch.objective] is OBJECTIVES[arch.family]


def test_an_unknown_architecture_or_family_names_the_known_ones():
    with pytest.raises(ValueError, match="UniEncoderSpan, UniEncoderToken"):
        registry.architecture("UniEncoderSpam")
    with pytest.raises(ValueError, match="uni, bi, decoder, relex"):
        registry.family("tri")
    with pytest.raises(ValueError, match="expected one of"):
        GLiNERConfig(model_name="x", architecture="UniEncoderSpam")


# ------------------------------------------------------------------------------------------ the family Protocols
def _members(protocol: type) -> tuple[dict[str, inspect.Signature], set[str]]:
    """A Protocol's methods (name -> signature) and data attributes, its bases' included."""
    methods, data = {}, set()
    for base in reversed(protocol.__mro__):
        if base is object or base.__name__ in ("Protocol", "Generic"):
            continue
        data |= set(getattr(base, "__annotations__", {}))
        methods |= {n: inspect.signature(f) for n, f in vars(base).items()
                    if callable(f) and not n.startswith("_") or n == "__call__"}
    return methods, data


def _implements(cls: type, protocol: type) -> list[str]:
    """What ``cls`` lacks of ``protocol``: a method, a parameter of one (by name, in order), or a data attribute
    (a class attribute, a property, or one its methods assign)."""
    methods, data = _members(protocol)
    missing = []
    for name, wanted in methods.items():
        have = getattr(cls, "forward" if name == "__call__" else name, None)
        if have is None:
            missing.append(name)
            continue
        wanted_params = [p for p in wanted.parameters if p not in ("self",)]
        have_params = list(inspect.signature(have).parameters)[1:]
        if have_params[:len(wanted_params)] != wanted_params and name != "parameters":
            missing.append(f"{name}{tuple(have_params)} != {tuple(wanted_params)}")
    sources = "".join(inspect.getsource(c) for c in cls.__mro__ if c.__module__.startswith("gliner_bench"))
    missing += [n for n in data if not hasattr(cls, n) and f"self.{n} =" not in sources]
    return missing


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.name)
def test_each_torch_module_implements_its_familys_protocol(arch):
    protocol = family_class(arch.family).module_protocol
    assert _implements(MODEL_CLASSES[arch.name], protocol) == []
    more = {("bi", "span"): FusingBiModule, ("bi", "token"): FusingBiModule, ("decoder", "span"): SpanDecoderModule}
    if (arch.family, arch.level) in more:  # what the family asks of some of its modules only
        assert _implements(MODEL_CLASSES[arch.name], more[arch.family, arch.level]) == []


@pytest.mark.parametrize("family", sorted(ONNX_MODULES))
def test_each_onnx_module_implements_its_familys_protocol(family):
    assert _implements(ONNX_MODULES[family], family_class(family).module_protocol) == []


def test_the_protocol_check_finds_what_a_module_lacks():
    class Partial:
        has_cross_fuser = False

        def encode_labels(self, input_ids, mask):  # a parameter misnamed
            ...

    lacks = _implements(Partial, family_class("bi").module_protocol)
    assert "text_vocabulary_size" in lacks and "score" in lacks and "label_head" in lacks
    assert any(m.startswith("encode_labels") for m in lacks)


def test_every_family_names_a_protocol():
    assert all(issubclass(cls, Family) and cls.module_protocol is not None for cls in FAMILIES.values())
    assert len({cls.module_protocol for cls in FAMILIES.values()}) == len(FAMILIES)  # one per family
