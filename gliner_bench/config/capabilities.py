"""What a model of each family can do, as plain data: callers ask a capability, never the family's name.

Torch-free, so the app and the leaderboard can read it from a config before any model loads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    relations: bool = False  # extracts relations between its entities (relex)
    generated_labels: bool = False  # a causal LM names each entity (decoders)
    label_embeddings: bool = False  # labels go through their own encoder; their vectors can be cached (bi)
    labels_in_prompt: bool = True  # labels are prompted in front of the text and cost encoder tokens

    def describe(self) -> list[str]:
        """The capabilities that are on, as short phrases (for ``info`` and the app)."""
        names = {"relations": "relations", "generated_labels": "generated labels",
                 "label_embeddings": "cached label embeddings", "labels_in_prompt": "labels in the prompt"}
        return [text for field, text in names.items() if getattr(self, field)]
