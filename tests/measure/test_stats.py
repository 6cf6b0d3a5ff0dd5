"""The statistics table: hand-checked numbers, and the same figures sentence-transformers prints."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from analysis.measure.stats import METRICS, describe, format_table, summary_table
from analysis.model import DataError, NegativeSet


def hand_set() -> NegativeSet:
    """q1: positives 0.9, 0.7 (s_pos 0.7), negatives 0.6, 0.75; q2: positive 0.8, negatives
    0.5, 0.1, 0.3; q3: positive 0.4 only; one unscored negative; a strategy's selection."""
    rows = [("q1", "a", 1, 0.9), ("q1", "b", 1, 0.7), ("q1", "c", 0, 0.6), ("q1", "d", 0, 0.75),
            ("q2", "e", 1, 0.8), ("q2", "c", 0, 0.5), ("q2", "f", 0, 0.1), ("q2", "g", 0, 0.3),
            ("q3", "a", 1, 0.4), ("q3", "b", 0, np.nan)]
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "score"]).assign(source="pool")
    picked = pd.DataFrame([("q1", "c", 0, 0.6), ("q2", "f", 0, 0.1)],
                          columns=["qid", "did", "label", "score"]).assign(source="top_k")
    queries = pd.DataFrame({"qid": ["q1", "q2", "q3"], "text": ["x", "y", "z"]})
    docs = pd.DataFrame({"did": list("abcdefg"), "text": list("abcdefg")})
    return NegativeSet(queries, docs, pd.concat([pairs, picked], ignore_index=True))


def block(table: pd.DataFrame, group: str) -> pd.DataFrame:
    return table[table.iloc[:, 0] == group].set_index("metric")[["positive", "negative", "difference"]]


def test_hand_checked_table():
    pool = block(summary_table(hand_set()), "pool")
    assert list(pool.index) == list(METRICS)
    expected = {
        # positives 0.4 0.7 0.8 0.9: lower median 0.7, interpolated 50% 0.75
        "positive": [4, 0.7, 0.7, np.std([0.9, 0.7, 0.8, 0.4], ddof=1), 0.4, 0.625, 0.75, 0.825, 0.9],
        # negatives 0.1 0.3 0.5 0.6 0.75 (the NaN one left out)
        "negative": [5, 0.45, 0.5, np.std([0.1, 0.3, 0.5, 0.6, 0.75], ddof=1), 0.1, 0.3, 0.5, 0.6, 0.75],
        # gaps: q1 0.7-0.6, 0.7-0.75; q2 0.8-0.5, 0.8-0.1, 0.8-0.3 -> -0.05 0.1 0.3 0.5 0.7
        "difference": [5, 0.31, 0.3, np.std([0.1, -0.05, 0.3, 0.7, 0.5], ddof=1), -0.05, 0.1, 0.3,
                       0.5, 0.7],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(pool[column].to_numpy(dtype=float), values, atol=1e-6, err_msg=column)


def test_a_selection_without_positives_uses_the_sets_positives():
    top_k = block(summary_table(hand_set()), "top_k")
    assert top_k.loc["Count"].tolist() == [0, 2, 2]
    np.testing.assert_allclose(top_k["difference"][["Min", "Max"]], [0.1, 0.7], atol=1e-6)


def test_the_positive_reduction_is_selectable():
    mean = block(summary_table(hand_set(), how="mean"), "pool")["difference"]
    # q1 s_pos = 0.8: gaps 0.2, 0.05; q2 unchanged 0.3 0.7 0.5
    assert mean["Min"] == pytest.approx(0.05) and mean["Max"] == pytest.approx(0.7)
    with pytest.raises(DataError, match='field "how"'):
        summary_table(hand_set(), how="median")


def test_grouping_and_plain_pairs_tables():
    everything = summary_table(hand_set().pairs, by=None)
    assert everything.columns[0] == "group" and set(everything["group"]) == {"all"}
    by_label = summary_table(hand_set(), by="label")
    assert sorted(set(by_label["label"])) == ["0", "1"]
    with pytest.raises(DataError, match='field "ce_score"'):
        summary_table(hand_set(), column="ce_score")


def test_describe_edge_cases():
    assert describe(np.array([]))["Count"] == 0 and np.isnan(describe(np.array([]))["Mean"])
    one = describe(np.array([0.5, np.nan]))
    assert one["Count"] == 1 and one["Median"] == 0.5 and np.isnan(one["Std"])


def test_text_rendering_follows_sentence_transformers():
    text = format_table(summary_table(hand_set()))
    lines = text.splitlines()
    assert lines[0] == "source: pool"
    assert lines[1] == "Metric       Positive       Negative     Difference"
    assert lines[2] == "Count               4              5              5"
    assert lines[3] == "Mean           0.7000         0.4500         0.3100"
    assert "source: top_k" in text


def test_same_figures_as_sentence_transformers_prints(interop_dir):
    """Mine 10 MS MARCO queries with sentence-transformers, rebuild the pairs from its output,
    and compare our table with the one it printed (4 decimals)."""
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    from analysis.scoring.encode import load_encoder

    rows = [json.loads(line) for line in
            (interop_dir / "sentence_transformers" / "msmarco_triplets.jsonl").open()]
    anchors = list(dict.fromkeys(r["anchor"] for r in rows))
    first = {r["anchor"]: r["positive"] for r in reversed(rows)}
    dataset = Dataset.from_dict({"anchor": anchors, "positive": [first[a] for a in anchors]})
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        mined = mine_hard_negatives(dataset, load_encoder().model, corpus=[r["negative"] for r in rows],
                                    num_negatives=3, output_scores=True, batch_size=16)
    expected = parse_printed_table(printed.getvalue())

    out = mined.to_pandas()
    positives = out.drop_duplicates("anchor")[["anchor", "positive"]].assign(
        label=1, score=[s[0] for s in out.drop_duplicates("anchor")["scores"]])
    negatives = out[["anchor", "negative"]].rename(columns={"negative": "positive"}).assign(
        label=0, score=[s[1] for s in out["scores"]])
    long = pd.concat([positives, negatives], ignore_index=True).rename(
        columns={"anchor": "qid", "positive": "did"})
    nset = NegativeSet(pd.DataFrame({"qid": anchors, "text": anchors}),
                       pd.DataFrame({"did": pd.unique(long["did"]), "text": pd.unique(long["did"])}),
                       long)
    ours = block(summary_table(nset), "unknown")
    for metric, values in expected.items():
        for column, value in zip(("positive", "negative", "difference"), values):
            if value is not None:
                assert ours.loc[metric, column] == pytest.approx(value, abs=6e-5), (metric, column)


def parse_printed_table(text: str) -> dict[str, list]:
    """{metric: [positive, negative, difference]} from sentence-transformers' printout."""
    table = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in METRICS:
            values = [float(p.replace(",", "")) for p in parts[1:]]
            table[parts[0]] = values + [None] * (3 - len(values))
    assert list(table) == list(METRICS), text
    return table
