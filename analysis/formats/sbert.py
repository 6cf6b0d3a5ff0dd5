"""sentence-transformers: the four output layouts of ``util.mine_hard_negatives``.

Read from the installed source (sentence_transformers/util/hard_negatives.py, v6.2). The
first column is the anchor and the second the positive (or document) column, whatever their
names: mine_hard_negatives keeps the input dataset's column names (``anchor``/``positive``,
``query``/``answer``, ...). The other columns name the layout:

==============  ======================================  =====================================
layout          columns after anchor, positive           ``output_scores=True``
==============  ======================================  =====================================
triplet         ``negative``                             + ``scores`` = [pos, neg]
n-tuple         ``negative_1`` ... ``negative_n``        + ``scores`` = [pos, neg_1..neg_n]
labeled-pair    ``label`` (1 positive, 0 negative)       ``score`` replaces ``label``
labeled-list    ``labels``; the document column holds    ``scores`` replaces ``labels``
                a list of texts
==============  ======================================  =====================================

Labels that ``output_scores=True`` drops are recovered from the order mine_hard_negatives
writes: in labeled-list, each row is [its positive] + negatives; in labeled-pair, each
query's positives come before its negatives, so the first ``positives_per_query`` rows of
each anchor (default 1, the usual one positive per query) are taken as positives.

Texts have no ids: queries and documents get ``text_id`` ids, so an anchor repeated over
many triplet rows is one query with one positive and many negatives.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from analysis.formats._builder import SetBuilder
from analysis.formats._read import (
    RowError,
    check_label,
    check_list,
    check_score,
    check_scores,
    check_text,
    check_text_list,
    get_field,
    suggestion,
)
from analysis.formats._registry import Format
from analysis.formats._tables import (
    is_neglens_parquet,
    peek_columns,
    read_table,
    table_kind,
    write_table,
)
from analysis.formats._writing import query_groups, refuse, require_scores
from analysis.formats.sbert_columnar import read_columns
from analysis.model import DataError, NegativeSet

LAYOUTS = ("triplet", "n-tuple", "labeled-pair", "labeled-list")
RESERVED = ("negative", "scores", "score", "label", "labels")
NAN = math.nan


def layout_of(columns: list[str]) -> str | None:
    """The layout a column list spells, or None."""
    if len(columns) < 3 or set(columns[:2]) & set(RESERVED) or columns[0].startswith("negative_"):
        return None
    rest = list(columns[2:])
    if rest in (["negative"], ["negative", "scores"]):
        return "triplet"
    count = 0
    while count < len(rest) and rest[count] == f"negative_{count + 1}":
        count += 1
    if count and rest[count:] in ([], ["scores"]):
        return "n-tuple"
    if rest in (["label"], ["score"]):
        return "labeled-pair"
    if rest in (["labels"], ["scores"]):
        return "labeled-list"
    return None


def detect(path: Path) -> bool:
    kind = table_kind(path)
    if kind is None or (kind == "parquet" and is_neglens_parquet(path)):
        return False
    return layout_of(peek_columns(path)) is not None


def load(path: Path, *, layout: str | None = None, split: str | None = None,
         positives_per_query: int = 1) -> NegativeSet:
    """Load one mine_hard_negatives output (file or ``datasets`` folder)."""
    if layout is not None and layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}{suggestion(layout, LAYOUTS)}; layouts: "
                        f"{', '.join(LAYOUTS)}", field="layout")
    if positives_per_query < 1:
        raise DataError("positives_per_query must be at least 1", field="positives_per_query")
    if split is None and table_kind(path) == "parquet":     # the usual, clean file: as columns
        columns = peek_columns(path)
        found = layout_of(columns)
        if found is not None and layout in (None, found):
            fast = read_columns(path, columns, found)
            if fast is not None:
                return fast
    builder = SetBuilder(str(path), source=path.name)
    columns, rows = read_table(path, lambda line, err: builder.skip(line, err), split=split)
    found = layout_of(columns)
    if found is None or (layout is not None and found != layout):
        raise DataError(_layout_problem(columns, layout), file=str(path), line=1,
                        field=_odd_column(columns))
    anchor, second = columns[0], columns[1]
    parse = _PARSERS[found]
    by_order = found == "labeled-pair" and "score" in columns  # labels were not stored
    seen: Counter = Counter()
    for line, row in rows:
        if by_order:  # counted before parsing, so an unreadable row still takes its place
            seen[str(row.get(anchor))] += 1
            position = seen[str(row.get(anchor))]
        try:
            query, docs = parse(row, anchor, second, columns)
        except RowError as exc:
            builder.skip(line, exc)
            continue
        if by_order:
            docs = [(text, int(position <= positives_per_query), score) for text, _, score in docs]
        qid = builder.query(query, line=line)
        for text, label, score in docs:
            builder.pair(qid, builder.doc(text, line=line), label, score=score, line=line)
    return builder.build(f"sentence-transformers/{found}", meta={"layout": found})


def _triplet(row, anchor, second, columns):
    query = check_text(get_field(row, anchor), anchor)
    pos = check_text(get_field(row, second), second)
    neg = check_text(get_field(row, "negative"), "negative")
    scores = (check_scores(get_field(row, "scores"), "scores", length=2,
                           expected="positive, negative") if "scores" in columns else [NAN, NAN])
    return query, [(pos, 1, scores[0]), (neg, 0, scores[1])]


def _ntuple(row, anchor, second, columns):
    query = check_text(get_field(row, anchor), anchor)
    pos = check_text(get_field(row, second), second)
    names = [c for c in columns[2:] if c != "scores"]
    negs = [check_text(get_field(row, name), name) for name in names]
    scores = (check_scores(get_field(row, "scores"), "scores", length=len(names) + 1,
                           expected=f"positive, {len(names)} negatives")
              if "scores" in columns else [NAN] * (len(names) + 1))
    return query, [(pos, 1, scores[0])] + [(n, 0, s) for n, s in zip(negs, scores[1:])]


def _labeled_pair(row, anchor, second, columns):
    query = check_text(get_field(row, anchor), anchor)
    doc = check_text(get_field(row, second), second)
    if "label" in columns:
        return query, [(doc, check_label(get_field(row, "label"), "label"), NAN)]
    return query, [(doc, None, check_score(get_field(row, "score"), "score"))]  # label by order


def _labeled_list(row, anchor, second, columns):
    query = check_text(get_field(row, anchor), anchor)
    docs = check_text_list(get_field(row, second), second)
    if "labels" in columns:
        raw = check_list(get_field(row, "labels"), "labels", length=len(docs),
                         expected=f'one per "{second}" item')
        labels = [check_label(v, "labels") for v in raw]
        return query, [(d, lab, NAN) for d, lab in zip(docs, labels)]
    scores = check_scores(get_field(row, "scores"), "scores", length=len(docs),
                          expected=f'one per "{second}" item')
    return query, [(d, int(i == 0), s) for i, (d, s) in enumerate(zip(docs, scores))]


_PARSERS = {"triplet": _triplet, "n-tuple": _ntuple, "labeled-pair": _labeled_pair,
            "labeled-list": _labeled_list}


def _odd_column(columns: list[str]) -> str | None:
    known = {*RESERVED, *(f"negative_{i}" for i in range(1, len(columns) + 1))}
    odd = [c for c in columns[2:] if c not in known]
    return odd[0] if odd else (columns[2] if len(columns) > 2 else None)


def _layout_problem(columns: list[str], layout: str | None) -> str:
    hints = "".join(f'; "{c}"{suggestion(c, RESERVED)}' for c in columns[2:]
                    if c not in RESERVED and not c.startswith("negative_") and suggestion(c, RESERVED))
    wanted = f"the {layout} layout" if layout else "any mine_hard_negatives layout"
    return (f"columns {columns} are not {wanted} (anchor, positive, then negative | "
            f"negative_1..n | label/score | labels/scores; optional scores){hints}")


# -- writing -----------------------------------------------------------------------------
def write(nset: NegativeSet, path: Path, *, layout: str = "triplet", scores: bool = False,
          hf_dataset: bool = False, source: str | None = None,
          num_negatives: int | None = None) -> Path:
    """Write ``nset`` as mine_hard_negatives would have, with columns anchor, positive, ...

    Rows as mine_hard_negatives writes them (v6.2): queries in order, one row per (query,
    positive) in triplet, n-tuple and labeled-list (a query's rows share its negatives);
    labeled-pair writes a query's positives, then its negatives. n-tuple rows are
    ``num_negatives`` wide (default: the most common count) and a (query, positive) with another
    count is refused (``analysis.export.training_data`` drops such queries first, as
    mine_hard_negatives drops short rows).
    """
    if layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}{suggestion(layout, LAYOUTS)}; layouts: "
                        f"{', '.join(LAYOUTS)}", field="layout")
    groups = query_groups(nset, source=source)
    if scores:
        require_scores(groups)
    if layout == "n-tuple":
        columns = _write_ntuple(groups, scores, num_negatives)
    else:
        columns = _WRITERS[layout](groups, scores)
    return write_table(path, columns, hf_dataset=hf_dataset)


def _write_triplet(groups, scores):
    refuse([g for g in groups if not g.pos or not g.neg], "lack a positive or a negative",
           "use layout labeled-pair or labeled-list")
    out = {"anchor": [], "positive": [], "negative": [], **({"scores": []} if scores else {})}
    for g in groups:
        for p in g.pos:
            for n in g.neg:
                out["anchor"].append(g.text)
                out["positive"].append(p.text)
                out["negative"].append(n.text)
                if scores:
                    out["scores"].append([p.score, n.score])
    return out


def _write_ntuple(groups, scores, num_negatives=None):
    refuse([g for g in groups if not g.pos or not g.neg], "lack a positive or a negative",
           "use layout labeled-pair or labeled-list")
    width = num_negatives or Counter(len(g.neg) for g in groups).most_common(1)[0][0]
    refuse([g for g in groups if len(g.neg) != width],
           f"do not have {width} negatives (n-tuple rows are all num_negatives={width} wide)",
           "use layout labeled-list, or write through analysis.export.training_data, which "
           "leaves them out as mine_hard_negatives does")
    out = {"anchor": [], "positive": [], **{f"negative_{i}": [] for i in range(1, width + 1)}}
    if scores:
        out["scores"] = []
    for g in groups:
        for p in g.pos:
            out["anchor"].append(g.text)
            out["positive"].append(p.text)
            for i, n in enumerate(g.neg, start=1):
                out[f"negative_{i}"].append(n.text)
            if scores:
                out["scores"].append([p.score] + [n.score for n in g.neg])
    return out


def _write_labeled_pair(groups, scores):
    if scores:
        refuse([g for g in groups if len(g.pos) != 1], "do not have exactly one positive",
               "with scores=True labels are not stored and the first row of each anchor is "
               "read back as its positive; write labels (scores=False) or labeled-list")
    out = {"anchor": [], "positive": [], ("score" if scores else "label"): []}
    for g in groups:
        for label, docs in ((1, g.pos), (0, g.neg)):
            for d in docs:
                out["anchor"].append(g.text)
                out["positive"].append(d.text)
                out["score" if scores else "label"].append(d.score if scores else label)
    return out


def _write_labeled_list(groups, scores):
    out = {"anchor": [], "positive": [], ("scores" if scores else "labels"): []}
    refuse([g for g in groups if not g.pos], "have no positive",
           "each row's first document is its positive (one row per positive, as "
           "mine_hard_negatives writes); use layout labeled-pair")
    for g in groups:
        for p in g.pos:
            out["anchor"].append(g.text)
            out["positive"].append([p.text] + [n.text for n in g.neg])
            if scores:
                out["scores"].append([p.score] + [n.score for n in g.neg])
            else:
                out["labels"].append([1] + [0] * len(g.neg))
    return out


_WRITERS = {"triplet": _write_triplet, "n-tuple": _write_ntuple,
            "labeled-pair": _write_labeled_pair, "labeled-list": _write_labeled_list}

FORMAT = Format(name="sentence-transformers", detect=detect, load=load, write=write, priority=10,
                fields=("anchor", "positive", "negative"))
