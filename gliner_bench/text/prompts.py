"""The label prompt in front of the words, as the reference builds it (gliner 0.2.29):
``[<<ENT>>, label1, <<ENT>>, label2, ..., <<SEP>>]``, and for relex the relation types after it."""

from __future__ import annotations

from .labels import LabelSet


def prompt_words(labels: LabelSet, ent_token: str, sep_token: str) -> list[str]:
    prompt: list[str] = []
    for label in labels.prompts:
        prompt += [ent_token, label]
    return prompt + [sep_token]


def relex_prompt_words(labels: LabelSet, relations: LabelSet, ent_token: str, sep_token: str,
                       rel_token: str) -> list[str]:
    """``[<<ENT>> e1 ... <<SEP>> <<REL>> r1 ... <<SEP>>]`` (the second <<SEP>> even with no relations)."""
    prompt = prompt_words(labels, ent_token, sep_token)
    for relation in relations.prompts:
        prompt += [rel_token, relation]
    return prompt + [sep_token]
