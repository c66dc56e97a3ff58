"""The architecture registry: one table that says, per architecture, its family, its module class, its objective,
whether it exports to ONNX, what it can do and its bundled default. Every other list of architectures or families
in the package is derived from it (``tests/test_registry.py`` checks the torch-side tables against it).

Torch-free plain data: the CLI, the app and the leaderboard read it before any model loads. The torch-side classes
are found by name where they live:

- the module class ``<Architecture.name>`` in ``modeling/<family>.py`` (``modeling.build_model``);
- the family's inference steps in ``inference/families/<family>.py`` (``inference.families.family_class``);
- the family's training objective in ``training/objectives.py`` (``objectives.objective_for``);
- the family's ONNX graphs in ``runtimes/onnx/`` when ``Family.onnx_export``.

Adding an architecture to an existing family: a row in ``ARCHITECTURES`` here and its module class in
``modeling/<family>.py`` (its reference-named class in ``model.py``, ``<Name>GLiNER``, for ``isinstance``).
Adding a family also adds its row in ``FAMILIES`` and its files in ``modeling/``, ``inference/families/`` and
``training/objectives.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .capabilities import Capabilities


@dataclass(frozen=True)
class Family:
    name: str  # "uni", "bi", "decoder", "relex": what the architecture adds to the uni-encoder
    capabilities: Capabilities
    onnx_export: bool  # its models export to ONNX (runtimes/onnx); the others run in torch only
    default_settings: dict = field(default_factory=dict)  # GLiNERConfig fields its bundled defaults share


@dataclass(frozen=True)
class Architecture:
    name: str  # GLiNERConfig.architecture, and the module class's name in modeling/<family>.py
    family: str  # a key of FAMILIES
    level: str  # "span": scores every span up to max_width; "token": begin / inside / end per word
    default: str  # the bundled default's name (``bundled:<default>``)
    default_settings: dict = field(default_factory=dict)  # its bundled default's own GLiNERConfig fields

    @property
    def reference_class(self) -> str:
        """The reference's class name, which ``GLiNER.from_pretrained`` returns an instance of."""
        return f"{self.name}GLiNER"

    @property
    def objective(self) -> str:
        """The training objective: the family's (``training/objectives.py``)."""
        return self.family

    @property
    def capabilities(self) -> Capabilities:
        return FAMILIES[self.family].capabilities

    @property
    def exportable(self) -> bool:
        return FAMILIES[self.family].onnx_export


# The packaged backbones every bundled default sits on (defaults.py).
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
# Relex (relation heads) and decoders (a 192 -> 2304 -> 576 prefix projection) carry more head weights: at width
# 192 their float16 deltas stay under 8 MB (measured: 256 gives 7.6-9.7 MB of heads alone).
_NARROW = {"hidden_size": 192}

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("uni", Capabilities(), onnx_export=True),
    # upstream saves a bi-encoder's LSTM but never applies it
    Family("bi", Capabilities(label_embeddings=True, labels_in_prompt=False), onnx_export=True,
           default_settings={"labels_encoder": MINILM, "num_rnn_layers": 0}),
    Family("decoder", Capabilities(generated_labels=True), onnx_export=False,
           default_settings={"labels_decoder": SMOLLM2, "decoder_mode": "span", "full_decoder_context": True,
                             "num_rnn_layers": 0} | _NARROW),
    # trained on build-data's relex_train.jsonl (parse and WordNet relations)
    Family("relex", Capabilities(relations=True), onnx_export=False,
           default_settings={"relations_layer": "mlp"} | _NARROW),
)}

# In the reference's order of precedence (relex > decoder > bi-encoder > uni) read backwards, and the README's.
ARCHITECTURES: tuple[Architecture, ...] = (
    # The label prompt reads only itself (isolate_prompt): its [ENT] vectors no longer drift as the text grows.
    # With passages in training, CoNLL-03 valid per-document F1 went 20.8 -> 47.4 (docs/documents.md).
    # window_words: the window of a 384 / 192 / 128 / 96 / 64 / 48 / 32-word sweep with the best valid per-document
    # F1 at 0.5, where it gains a point or more (scripts/bench/document_gap.py; leaderboards/documents/
    # valid_windows.json): uni-span 47.4 -> 53.7, bi-span 51.3 -> 56.2, bi-token 59.8 -> 62.4 (uni-token: +0.6).
    Architecture("UniEncoderSpan", "uni", "span", "uni-span", {"isolate_prompt": True, "window_words": 32}),
    Architecture("UniEncoderToken", "uni", "token", "uni-token", {"isolate_prompt": True}),  # 54.5 -> 62.7
    Architecture("BiEncoderSpan", "bi", "span", "bi-span", {"window_words": 64}),
    Architecture("BiEncoderToken", "bi", "token", "bi-token", {"window_words": 64}),
    # The generation loss (summed over ~30 name tokens a batch) outweighs the focal span loss ~5:1 at upstream's
    # 0.5 and pulls the shared LoRA encoder its way: decoder-span was under-confident at 0.5 (see the training
    # overrides in training/recipes.py).
    Architecture("UniEncoderSpanDecoder", "decoder", "span", "decoder-span", {"decoder_loss_coef": 0.1}),
    Architecture("UniEncoderTokenDecoder", "decoder", "token", "decoder-token"),
    # relex-span, fifth session: isolated prompt, passages with their parse relations, 64-word windows: CoNLL-03
    # valid per document 25.3 -> 50.1, relation F1 on built_relations 15.3 -> 17.1 (docs/documents.md).
    Architecture("UniEncoderSpanRelex", "relex", "span", "relex-span", {"isolate_prompt": True, "window_words": 64}),
    Architecture("UniEncoderTokenRelex", "relex", "token", "relex-token"),
)

BY_NAME: dict[str, Architecture] = {a.name: a for a in ARCHITECTURES}


def architecture(name: str) -> Architecture:
    if name not in BY_NAME:
        raise ValueError(f"Unknown architecture {name!r}; expected one of: {', '.join(BY_NAME)}.")
    return BY_NAME[name]


def family(name: str) -> Family:
    if name not in FAMILIES:
        raise ValueError(f"Unknown model family {name!r}; known: {', '.join(FAMILIES)}.")
    return FAMILIES[name]


def names(where=lambda a: True) -> tuple[str, ...]:
    """The architectures' names, in the registry's order, that satisfy ``where``."""
    return tuple(a.name for a in ARCHITECTURES if where(a))


def capabilities_of(family_name: str) -> Capabilities:
    """What a family's models can do (``GLiNERConfig.family``: uni, bi, decoder or relex)."""
    return family(family_name).capabilities
