"""Shared test fixtures: a tiny random BERT backbone with its own WordPiece vocabulary, built offline."""

from __future__ import annotations

import os
import string
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")



def int8_runs() -> str:
    """The precision ``precision="int8"`` gives on this CPU: int8 where its int8 product is exact (VNNI, AMX),
    fp32 (with a warning) where it saturates (``gliner_bench.runtimes.int8.int8_product_exact``)."""
    from gliner_bench.runtimes.int8 import int8_product_exact

    return "int8" if int8_product_exact() else "fp32"


def exact_int8(test):
    """Marks a test of the int8 path itself: it runs only where that path runs (the fallback is tested anywhere)."""
    return pytest.mark.skipif(int8_runs() != "int8", reason="this CPU's int8 product saturates (no VNNI or AMX): "
                              "precision='int8' runs fp32 here")(test)


WORDS = ["apple", "hired", "tim", "cook", "in", "cupertino", ".", ",", "!", "the", "a", "of", "and", "to", "on", "at", "is", "was", "for", "with", "by", "from", "as", "person", "organization", "location", "date", "company", "city", "country", "paris", "london", "berlin", "france", "germany", "monday", "tuesday", "2024", "1990", "angela", "merkel", "met", "emmanuel", "macron", "marie", "curie", "nobel", "prize", "university", "oxford", "new", "york", "river", "bridge"]


def build_tiny_backbone(directory, hidden=32, layers=2, heads=2, positions=128):
    """A randomly initialised BertModel and a lower-casing WordPiece tokenizer saved in ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = list(string.ascii_lowercase) + list(string.digits) + list(string.punctuation)
    pieces += ["##" + c for c in string.ascii_lowercase + string.digits]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(specials + WORDS + pieces))}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=positions)
    fast.save_pretrained(directory)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=2 * hidden,
                        max_position_embeddings=positions)
    BertModel(config).save_pretrained(directory)
    return directory


# the tiny causal LMs are shared with the decoder fixture builder (which runs under the reference's venv)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "parity"))
from tiny_lm import build_tiny_causal_lm


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory):
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-gpt2"), "gpt2"))


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llama"), "llama"))


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory):
    return str(build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert")))


def make_model(backbone, seed=0, spread=1.4, **overrides):
    """A GLiNER on the tiny backbone; weights scaled by ``spread`` so scores are not all ~0.5."""
    import torch

    from gliner_bench import GLiNER, GLiNERConfig

    fields = {"model_name": backbone, "hidden_size": 32, "max_width": 4, "dropout": 0.0} | overrides
    model = GLiNER.from_config(GLiNERConfig(**fields), seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.model.named_parameters():
            if not name.startswith("token_rep_layer") and p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=gen) * spread / p.shape[1] ** 0.5)
    return model


@pytest.fixture
def span_model(tiny_backbone):
    return make_model(tiny_backbone)


@pytest.fixture
def token_model(tiny_backbone):
    return make_model(tiny_backbone, spread=3.0, span_mode="token_level")
