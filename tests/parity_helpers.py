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


def replay_run(model, texts, run):
    """One recorded reference run (``expected.json``'s ``runs``) made again on ``model``: (ours, the reference's)
    entity lists. Kinds: predict_entities, predict_with_embeds (the reference's label embeddings), inference and
    inference_per_text."""
    import torch

    kwargs = {"threshold": run["threshold"], "flat_ner": run["flat_ner"], "multi_label": run["multi_label"]}
    if run["kind"] == "predict_entities":
        return [model.predict_entities(run["text"], run["labels"], **kwargs)], [run["output"]]
    if run["kind"] == "predict_with_embeds":
        emb = torch.tensor(run["label_embeddings"], dtype=torch.float32)
        return model.batch_predict_with_embeds(texts, emb, run["labels"], batch_size=run["batch_size"],
                                               **kwargs), run["output"]
    return model.inference(texts, run["labels"], batch_size=run["batch_size"], **kwargs), run["output"]
