"""Comparisons shared by the parity tests."""

SCORE_TOL = 1e-5


def assert_same_entities(ours, ref, tol: float = SCORE_TOL) -> int:
    """Identical entity lists (bounds, text, label) with scores within ``tol``; returns the number compared."""
    assert len(ours) == len(ref)
    for got, want in zip(ours, ref):
        assert [(e["start"], e["end"], e["text"], e["label"]) for e in got] == \
               [(e["start"], e["end"], e["text"], e["label"]) for e in want]
        for a, b in zip(got, want):
            assert abs(a["score"] - b["score"]) <= tol
    return sum(len(x) for x in ref)
