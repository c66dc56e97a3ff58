"""Label sets as the user gives them (a list, or ``{name: description}``), validated and de-duplicated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelSet:
    """Labels as prompted (``prompts``) and as returned (``names``); equal unless descriptions are given."""

    prompts: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.prompts)


def normalize_labels(labels: Sequence[str] | Mapping[str, str] | str) -> LabelSet:
    """Validate and de-duplicate (in order) a label list, or a ``{name: description}`` mapping.

    Raises ``ValueError`` with the call to write when the labels cannot be used.
    """
    example = "e.g. model.predict_entities(text, ['person', 'organization', 'location'])"
    if isinstance(labels, str):
        labels = [labels]
    if isinstance(labels, Mapping):
        names, prompts = [], []
        for name, description in labels.items():
            if not isinstance(name, str) or not isinstance(description, str):
                raise ValueError(  # noqa: TRY004 -- every label problem is a ValueError (the documented contract)
                    "Label descriptions must map label names to description strings, "
                    "e.g. {'person': 'a human being'}."
                )
            if not name.strip() or not description.strip():
                raise ValueError(f"Label {name!r} has a blank name or description; give non-empty strings.")
            names.append(name)
            prompts.append(description)
        if len(set(prompts)) != len(prompts):
            raise ValueError("Label descriptions must be unique within a label set.")
        if not names:
            raise ValueError(f"Pass at least one entity label, {example}.")
        return LabelSet(prompts, names)
    if labels is None or not isinstance(labels, Sequence) or len(labels) == 0:
        raise ValueError(f"Pass at least one entity label, {example}.")
    for label in labels:
        if not isinstance(label, str):
            raise ValueError(  # noqa: TRY004 -- as above
                f"Every label must be a string; got {type(label).__name__} ({label!r}). {example[0].upper()}"
                f"{example[1:]}."
            )
        if not label.strip():
            raise ValueError(f"Labels must not be blank (got {label!r}); {example}.")
    unique = list(dict.fromkeys(labels))
    return LabelSet(unique, unique)
