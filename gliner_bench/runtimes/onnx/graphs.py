"""The uni- and bi-encoder computations rewritten for tracing into ONNX: same weights, same function.

The torch modules pick their work with Python control flow that tracing would freeze to the example's sizes
(``int(text_lengths.max())``, loops over span widths up to the text's length, label blocks), and pool words with
``nonzero``/scatter. Here every size comes from an input's shape, and pooling is a product with selection
matrices built in Python from the batch (``word_selection``, ``label_selection``): one-hot rows for "first"/"last" pooling, averaging
rows for "mean". The graphs reuse the modules' own submodules, so an export carries exactly their weights.

Graphs (inputs -> outputs; B texts, L tokens, W words, C labels, D width, K span widths, N label prompts, T tokens):
- ``UniGraph``: input_ids, attention_mask (B, L), [token_type_ids (B, L)], word_pool (B, W, L),
  word_mask (B, W), label_pick (B, C, L), label_mask (B, C) -> logits (span: B, W, K, C; token: B, W, C, 3)
- ``WordsGraph`` (bi): input_ids, attention_mask, [token_type_ids], word_pool, word_mask -> words (B, W, D)
- ``HeadGraph`` (bi): words (B, W, D), word_mask (B, W), labels (B, C, D) -> logits
- ``LabelsGraph`` (bi): input_ids, attention_mask (N, T) -> vectors (N, D)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...modeling.encoder import prompt_isolation_bias
from ...modeling.layers import BiLSTM, SpanMarkerV0, TokenScorer

EXPORTABLE_POOLING = ("first", "last", "mean")


def word_selection(batch: dict[str, torch.Tensor], pooling: str) -> dict[str, torch.Tensor]:
    """The graphs' word inputs for a tokenised batch (``inference.tokenization.tokenize_batch``): ``word_pool`` (B, W, L),
    rows that average each word's selected subtokens, and ``word_mask`` (B, W) (float 0/1)."""
    attention, words_mask, lengths = batch["attention_mask"].bool(), batch["words_mask"], batch["text_lengths"]
    B, L = words_mask.shape
    W = int(lengths.max()) if lengths.numel() else 0
    word_pool = torch.zeros(B, W, L)
    rows, cols = torch.nonzero((words_mask > 0) & attention, as_tuple=True)
    word_pool[rows, words_mask[rows, cols] - 1, cols] = 1.0
    if pooling == "mean":
        word_pool = word_pool / word_pool.sum(-1, keepdim=True).clamp_min(1.0)
    return {"word_pool": word_pool, "word_mask": (torch.arange(W)[None, :] < lengths[:, None]).float()}


def label_selection(batch: dict[str, torch.Tensor], class_token_index: int,
                    embed_ent_token: bool) -> dict[str, torch.Tensor]:
    """A prompted batch's label inputs: ``label_pick`` (B, C, L), one-hot rows at each label's token (the
    ``<<ENT>>`` token or the one after it), and ``label_mask`` (B, C) (float 0/1)."""
    is_label = batch["input_ids"].eq(class_token_index) & batch["attention_mask"].bool()  # (B, L)
    counts = is_label.sum(1)
    C = int(counts.max()) if counts.numel() else 0
    label_pick = torch.zeros(is_label.size(0), C, is_label.size(1))
    rows, cols = torch.nonzero(is_label, as_tuple=True)  # row-major: a row's labels in order
    slots = torch.cumsum(is_label.long(), 1)[rows, cols] - 1
    label_pick[rows, slots, cols + (0 if embed_ent_token else 1)] = 1.0
    return {"label_pick": label_pick, "label_mask": (torch.arange(C)[None, :] < counts[:, None]).float()}


class UnpackedBiLSTM(nn.Module):
    """``BiLSTM.forward`` without packed sequences (which do not export), on the same parameters: each layer runs
    one single-direction LSTM forward and one on every row reversed within its length, so padding never reaches a
    real word. Padded outputs are garbage; the caller zeroes them. (B, W, D), lengths (B,) -> (B, W, D)."""

    def __init__(self, rnn: BiLSTM):
        super().__init__()
        lstm = rnn.lstm
        self.directions = nn.ModuleList()
        for layer in range(lstm.num_layers):
            for suffix in ("", "_reverse"):
                step = nn.LSTM(lstm.input_size if layer == 0 else 2 * lstm.hidden_size, lstm.hidden_size,
                               batch_first=True)
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    setattr(step, f"{kind}_l0", getattr(lstm, f"{kind}_l{layer}{suffix}"))  # shared, not copied
                self.directions.append(step)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        t = torch.arange(x.size(1), device=x.device)[None, :]  # (1, W)
        n = lengths[:, None]  # (B, 1)
        reverse = torch.where(t < n, n - 1 - t, t)[..., None]  # (B, W, 1): position t <-> n-1-t inside the text
        for layer in range(len(self.directions) // 2):
            forward_dir, backward_dir = self.directions[2 * layer], self.directions[2 * layer + 1]
            ahead = forward_dir(x)[0]  # (B, W, H)
            back = backward_dir(torch.gather(x, 1, reverse.expand_as(x)))[0]
            back = torch.gather(back, 1, reverse.expand_as(back))
            x = torch.cat([ahead, back], dim=-1)  # (B, W, 2H)
        return x


def span_scores(layer: SpanMarkerV0, words: torch.Tensor, lengths: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
    """``SpanMarkerV0.scores`` (the few-labels order) with every width computed, padding past the window:
    words (B, W, D), lengths (B,), labels (B, C, D) -> (B, W, K, C); spans past a text's end get span (0, 0)'s
    score, as upstream."""
    K = layer.max_width
    W = words.size(1)
    q, bias = layer.folded_labels(labels)  # (B, C, 4D), (B, C)
    start, end = layer._halves(words)  # (B, W, 4D) each
    end = F.pad(end, (0, 0, 0, K))  # (B, W + K, 4D)
    pre = torch.stack([F.relu(start + end[:, k:k + W]) for k in range(K)], dim=2)  # (B, W, K, 4D)
    scores = pre @ q[:, None].transpose(-1, -2)  # (B, W, K, C)
    ends = torch.arange(W, device=words.device)[:, None] + torch.arange(K, device=words.device)  # (W, K)
    span_mask = ends[None] < lengths[:, None, None]  # (B, W, K)
    scores = torch.where(span_mask[..., None], scores, scores[:, :1, :1])
    return scores + bias[:, None, None, :]


def token_scores(scorer: TokenScorer, words: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``TokenScorer.forward`` in one block (its loop over label blocks would freeze the traced label count):
    words (B, W, D), labels (B, C, D) -> (B, W, C, 3)."""
    return scorer.pair_block(*scorer.terms(words, labels))


def head_scores(module: nn.Module, words: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The module's head: span logits (B, W, K, C) from ``span_rep_layer`` or token logits (B, W, C, 3) from
    ``scorer``; ``labels`` are the label vectors the head reads (after ``prompt_rep_layer`` for span heads)."""
    if hasattr(module, "scorer"):
        return token_scores(module.scorer, words, labels)
    return span_scores(module.span_rep_layer.span_rep_layer, words, lengths, labels)


def _pool(h: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
    return pool @ h  # (B, R, L) @ (B, L, D) -> (B, R, D)


class UniGraph(nn.Module):
    """A uni-encoder (``modeling/uni.py``): encoder, label and word vectors, optional BiLSTM, head."""

    def __init__(self, module: nn.Module, with_types: bool):
        super().__init__()
        self.module, self.with_types = module, with_types
        self.rnn = UnpackedBiLSTM(module.rnn) if hasattr(module, "rnn") else None

    def forward(self, input_ids, attention_mask, *rest):
        token_type_ids = rest[0] if self.with_types else None
        word_pool, word_mask, label_pick, label_mask = rest[1:] if self.with_types else rest
        m = self.module
        bias = None
        if m.config.isolate_prompt:  # the prompt is every token before the first text word (as modeling/uni.py)
            in_prompt = (word_pool.sum(1) > 0).long().cumsum(1).eq(0)  # (B, L)
            bias = prompt_isolation_bias(attention_mask, in_prompt, torch.float32)  # (B, 1, L, L)
        h = m.token_rep_layer(input_ids, attention_mask, token_type_ids, bias)  # (B, L, D)
        labels = _pool(h, label_pick) * label_mask[..., None]  # (B, C, D)
        words = _pool(h, word_pool)  # (B, W, D)
        lengths = word_mask.sum(1).long()  # (B,)
        if self.rnn is not None:
            words = self.rnn(words, lengths.clamp_min(1))
        words = words * word_mask[..., None]  # padding words are zeros, as the torch path leaves them
        if hasattr(m, "prompt_rep_layer"):
            labels = m.prompt_rep_layer(labels)
        return head_scores(m, words, lengths, labels)


class WordsGraph(nn.Module):
    """A bi-encoder's text side (``BiEncoder.encode_words``): word vectors (B, W, D)."""

    def __init__(self, module: nn.Module, with_types: bool):
        super().__init__()
        self.module, self.with_types = module, with_types

    def forward(self, input_ids, attention_mask, *rest):
        token_type_ids = rest[0] if self.with_types else None
        word_pool, word_mask = rest[1:] if self.with_types else rest
        h = self.module.token_rep_layer(input_ids, attention_mask, token_type_ids)  # (B, L, D)
        return _pool(h, word_pool) * word_mask[..., None]


class HeadGraph(nn.Module):
    """A bi-encoder's head on word vectors and raw label vectors (its ``label_head`` applied inside)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, words, word_mask, labels):
        return head_scores(self.module, words, word_mask.sum(1).long(), self.module.label_head(labels))


class LabelsGraph(nn.Module):
    """A bi-encoder's label encoder (``BiEncoder.encode_labels``): (N, T) -> (N, D)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, input_ids, attention_mask):
        return self.module.encode_labels(input_ids, attention_mask)
