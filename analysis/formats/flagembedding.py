"""FlagEmbedding training JSONL: one query per line with its positive and negative texts.

``{"query": str, "pos": [str], "neg": [str], "pos_scores": [float], "neg_scores": [float],
"prompt": str, "type": str}``; the last four are optional (FlagEmbedding's
``AbsEmbedderTrainDataset``; the scores are teacher scores for distillation).

Mapping: ``query`` -> a query, ``pos`` -> label 1, ``neg`` -> label 0, ``pos_scores`` /
``neg_scores`` -> ``score`` item by item. ``prompt`` and ``type`` are kept per query in
``meta["prompt"]`` / ``meta["type"]`` (dicts qid -> value) and written back.

Row rules: a missing ``query``/``pos``/``neg`` or an empty ``pos`` skips the row; an empty
``neg`` keeps the query with its positives and warns; a score list whose length differs from
its text list skips the row. A query text on two lines is one query: positives and negatives
are merged, with a warning naming both lines. A text repeated inside one list is kept once,
with a warning.
"""

from __future__ import annotations

import math
from pathlib import Path

from analysis.formats._builder import SetBuilder
from analysis.formats._open import plain_suffix
from analysis.formats._read import (
    RowError,
    check_scores,
    check_text,
    check_text_list,
    first_json_object,
    get_field,
    iter_jsonl,
)
from analysis.formats._registry import Format
from analysis.formats._tables import write_jsonl
from analysis.formats._writing import query_groups, refuse, require_scores
from analysis.model import DataError, NegativeSet

SUFFIXES = (".jsonl", ".json")
EXTRA_FIELDS = ("prompt", "type")


def detect(path: Path) -> bool:
    if plain_suffix(path) not in SUFFIXES:
        return False
    first = first_json_object(path)
    return first is not None and "query" in first and "pos" in first


def _parse(row: dict) -> tuple[str, list, list]:
    query = check_text(get_field(row, "query"), "query")
    pos = check_text_list(get_field(row, "pos"), "pos")
    neg = check_text_list(get_field(row, "neg"), "neg", allow_empty=True)
    pos_scores = ([math.nan] * len(pos) if "pos_scores" not in row else
                  check_scores(row["pos_scores"], "pos_scores", length=len(pos),
                               expected='one per "pos" text'))
    neg_scores = ([math.nan] * len(neg) if "neg_scores" not in row else
                  check_scores(row["neg_scores"], "neg_scores", length=len(neg),
                               expected='one per "neg" text'))
    for name in EXTRA_FIELDS:
        if name in row and row[name] is not None and not isinstance(row[name], str):
            raise RowError(name, f"expected text, got {type(row[name]).__name__}")
    return query, list(zip(pos, pos_scores)), list(zip(neg, neg_scores))


def load(path: Path) -> NegativeSet:
    """Load one FlagEmbedding JSONL file."""
    builder = SetBuilder(str(path), source=path.name)
    extras: dict[str, dict] = {name: {} for name in EXTRA_FIELDS}
    first_line: dict[str, int] = {}
    for line, row in iter_jsonl(path, builder.skip):
        try:
            query, pos, neg = _parse(row)
        except RowError as exc:
            builder.skip(line, exc)
            continue
        qid = builder.query(query, line=line)
        if qid in first_line:
            builder.warn(line, f"the query of line {first_line[qid]} appears again; its "
                               "positives and negatives are merged")
        first_line.setdefault(qid, line)
        if not neg:
            builder.warn(line, 'field "neg": empty list; the query is kept with its positives only')
        for field, items, label in (("pos", pos, 1), ("neg", neg, 0)):
            repeats = len(items) - len({text for text, _ in items})
            if repeats:
                builder.warn(line, f'field "{field}": {repeats} repeated texts kept once')
            for text, score in items:
                builder.pair(qid, builder.doc(text, line=line), label, score=score, line=line)
        for name in EXTRA_FIELDS:
            if row.get(name) is not None:
                extras[name].setdefault(qid, row[name])
    meta = {name: values for name, values in extras.items() if values}
    return builder.build("flagembedding", meta=meta)


def write(nset: NegativeSet, path: Path, *, scores: bool | None = None,
          source: str | None = None) -> Path:
    """One JSONL line per query. ``scores``: None writes pos_scores/neg_scores for queries
    whose pairs all have a score, True requires them everywhere, False never writes them.
    ``prompt`` / ``type`` come from ``nset.meta``: a dict qid -> text, or one text for all."""
    if plain_suffix(path) not in SUFFIXES:
        raise DataError(f"FlagEmbedding files are JSON Lines; use a {' or '.join(SUFFIXES)} "
                        "suffix (+ .gz/.bz2/.xz/.zst to compress)", file=str(path))
    groups = query_groups(nset, source=source)
    refuse([g for g in groups if not g.pos], "have no positive",
           'FlagEmbedding rows need at least one "pos" text')
    if scores:
        require_scores(groups)
    extras = {name: nset.meta.get(name) for name in EXTRA_FIELDS}
    rows = []
    for g in groups:
        row = {"query": g.text, "pos": [d.text for d in g.pos], "neg": [d.text for d in g.neg]}
        if scores is not False and g.scored():
            row["pos_scores"] = [d.score for d in g.pos]
            row["neg_scores"] = [d.score for d in g.neg]
        for name in EXTRA_FIELDS:
            value = extras[name]
            value = value.get(g.qid) if isinstance(value, dict) else value
            if isinstance(value, str):
                row[name] = value
        rows.append(row)
    return write_jsonl(path, rows)


FORMAT = Format(name="flagembedding", detect=detect, load=load, write=write, priority=20,
                fields=("query", "pos", "neg"))
