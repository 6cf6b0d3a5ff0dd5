"""Tevatron training data, legacy and new layouts (tevatron/retriever/dataset.py).

legacy  one JSONL line per query: ``query_id``, ``query``, ``positive_passages`` and
        ``negative_passages``, lists of ``{"docid", "title", "text"}``.
new     one JSONL line per query: ``query_id``, ``query_text``, ``positive_document_ids``,
        ``negative_document_ids``; texts live in a corpus JSONL of ``{"docid", "text"}``
        (or ``document_text``; optional ``title``).

Mapping: ids are kept as strings; passages -> documents with label 1 / 0. A passage text is
``title + " " + text`` when the title is not blank (Tevatron's own join), else ``text`` as is;
a passage without ``docid`` gets ``text_id``. Tevatron files carry no scores or ranks.

The new layout needs its corpus: pass ``corpus=PATH``, load a folder holding the training
file and the corpus (told apart by their first record), or keep the corpus beside the
training file, where the one JSONL file of ``docid`` records is used. Rows naming a document
that is not in the corpus are skipped. An empty negative list keeps the query with a warning.
"""

from __future__ import annotations

from pathlib import Path

from analysis.formats._builder import SetBuilder
from analysis.formats._open import plain_suffix
from analysis.formats._read import (
    RowError,
    check_text,
    first_json_object,
    get_field,
    iter_jsonl,
    suggestion,
)
from analysis.formats._registry import Format
from analysis.formats._tables import write_jsonl
from analysis.formats._writing import query_groups, refuse
from analysis.model import DataError, NegativeSet

SUFFIXES = (".jsonl", ".json")
LAYOUTS = ("legacy", "new")


def _kind(path: Path) -> str | None:
    """"legacy", "new" (training file), "corpus", or None, from the first record."""
    if not path.is_file() or plain_suffix(path) not in SUFFIXES:
        return None
    first = first_json_object(path) or {}
    if "positive_passages" in first:
        return "legacy"
    if "query_id" in first and "positive_document_ids" in first:
        return "new"
    if "docid" in first and ("text" in first or "document_text" in first):
        return "corpus"
    return None


def _pair_in(folder: Path) -> tuple[Path | None, Path | None]:
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    train = [p for p in files if _kind(p) == "new"]
    corpora = [p for p in files if _kind(p) == "corpus"]
    named = [p for p in corpora if p.name.lower().startswith("corpus")]
    corpus = corpora[0] if len(corpora) == 1 else (named[0] if len(named) == 1 else None)
    return (train[0] if len(train) == 1 else None), corpus


MAX_ENTRIES = 32  # a new-layout folder is a training file and a corpus: detection opens no more


def detect(path: Path) -> bool:
    if path.is_dir():
        if sum(1 for _ in zip(path.iterdir(), range(MAX_ENTRIES + 1))) > MAX_ENTRIES:
            return False
        return all(_pair_in(path))
    return _kind(path) in ("legacy", "new")


def load(path: Path, *, layout: str | None = None, corpus=None) -> NegativeSet:
    """Load a legacy file, a new-layout file (+ corpus), or a folder holding the pair."""
    if layout is not None and layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}{suggestion(layout, LAYOUTS)}; layouts: "
                        f"{', '.join(LAYOUTS)}", field="layout")
    files = None
    if path.is_dir():
        train, found = _pair_in(path)
        if train is None or (found is None and corpus is None):
            raise DataError("expected one new-layout training JSONL and one corpus JSONL "
                            "(docid, text) in this folder", file=str(path))
        files = {"used": [train.name, Path(corpus or found).name],
                 "ignored": [{"file": p.name, "reason": "not the training file or the corpus"}
                             for p in sorted(path.iterdir())
                             if p not in (train, found) and not p.name.startswith(".")]}
        source, path, corpus = path.name, train, corpus or found
    else:
        source = path.name
    kind = layout or _kind(path)
    builder = SetBuilder(str(path), source=source)
    if kind == "new":
        corpus = Path(corpus) if corpus is not None else _sibling_corpus(path)
        _read_corpus(corpus, builder)
        _read_new(path, builder)
    else:
        _read_legacy(path, builder)
    meta = {"layout": "new" if kind == "new" else "legacy"}
    if kind == "new":
        meta["corpus"] = str(corpus)
    if files:
        meta["files"] = files
    return builder.build(f"tevatron/{meta['layout']}", meta=meta)


def _sibling_corpus(path: Path) -> Path:
    corpora = [p for p in sorted(path.parent.iterdir()) if p != path and _kind(p) == "corpus"]
    named = [p for p in corpora if p.name.lower().startswith("corpus")]
    if len(corpora) == 1 or len(named) == 1:
        return corpora[0] if len(corpora) == 1 else named[0]
    found = f"found {[p.name for p in corpora]}" if corpora else "found none beside it"
    raise DataError(f"the new Tevatron layout needs a corpus file (docid, text): pass "
                    f"corpus=PATH ({found})", file=str(path), field="corpus")


def _joined(title, text: str) -> str:
    """Tevatron's passage text: ``title + " " + text`` when the title is not blank."""
    return f"{title} {text}" if isinstance(title, str) and title.strip() else text


def _passages(row: dict, field: str, *, allow_empty: bool) -> list[tuple[str | None, str]]:
    items = get_field(row, field)
    if not isinstance(items, list):
        raise RowError(field, f"expected a list of passages, got {type(items).__name__}")
    if not items and not allow_empty:
        raise RowError(field, "empty list")
    out = []
    for i, passage in enumerate(items, start=1):
        if not isinstance(passage, dict):
            raise RowError(field, f"item {i}: expected an object with docid, title, text")
        docid = passage.get("docid")
        where = f"{field}[{i}].text"
        if "text" not in passage:
            raise RowError(where, "missing" + suggestion("text", passage))
        text = check_text(passage["text"], where)
        out.append((None if docid is None else str(docid), _joined(passage.get("title"), text)))
    return out


def _query_id(row: dict) -> str:
    value = get_field(row, "query_id")
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise RowError("query_id", f"expected an id, got {value!r}")
    return str(value)


def _read_legacy(path: Path, builder: SetBuilder) -> None:
    for line, row in iter_jsonl(path, builder.skip):
        try:
            qid = _query_id(row)
            text = check_text(get_field(row, "query"), "query")
            pos = _passages(row, "positive_passages", allow_empty=False)
            neg = _passages(row, "negative_passages", allow_empty=True)
        except RowError as exc:
            builder.skip(line, exc)
            continue
        _add(builder, line, builder.query(text, qid=qid, line=line),
             [(builder.doc(t, did=d, line=line), 1) for d, t in pos]
             + [(builder.doc(t, did=d, line=line), 0) for d, t in neg], "negative_passages")


def _read_corpus(corpus: Path, builder: SetBuilder) -> None:
    if not corpus.is_file():
        raise DataError("no such corpus file", file=str(corpus), field="corpus")
    for line, row in iter_jsonl(corpus, lambda ln, err: builder.skip(ln, err, file=str(corpus))):
        try:
            did = get_field(row, "docid")
            field = "document_text" if "document_text" in row and "text" not in row else "text"
            text = _joined(row.get("title"), check_text(get_field(row, field), field))
        except RowError as exc:
            builder.skip(line, exc, file=str(corpus))
            continue
        builder.doc(text, did=str(did), line=line)


def _read_new(path: Path, builder: SetBuilder) -> None:
    for line, row in iter_jsonl(path, builder.skip):
        try:
            qid = _query_id(row)
            text = check_text(get_field(row, "query_text"), "query_text")
            ids = {}
            for field, allow_empty in (("positive_document_ids", False),
                                       ("negative_document_ids", True)):
                values = get_field(row, field)
                if not isinstance(values, list) or (not values and not allow_empty):
                    raise RowError(field, "expected a non-empty list of ids" if not allow_empty
                                   else "expected a list of ids")
                unknown = [v for v in values if str(v) not in builder.docs]
                if unknown:
                    raise RowError(field, f"document {str(unknown[0])!r} is not in the corpus "
                                          f"({len(unknown)} unknown)")
                ids[field] = [str(v) for v in values]
        except RowError as exc:
            builder.skip(line, exc)
            continue
        _add(builder, line, builder.query(text, qid=qid, line=line),
             [(d, 1) for d in ids["positive_document_ids"]]
             + [(d, 0) for d in ids["negative_document_ids"]], "negative_document_ids")


def _add(builder: SetBuilder, line: int, qid: str, docs: list[tuple[str, int]], neg_field: str):
    if not any(label == 0 for _, label in docs):
        builder.warn(line, f'field "{neg_field}": empty list; the query is kept with its '
                           "positives only")
    for did, label in docs:
        builder.pair(qid, did, label, line=line)


# -- writing -----------------------------------------------------------------------------
def write(nset: NegativeSet, path: Path, *, layout: str = "legacy", corpus=None,
          source: str | None = None) -> Path:
    """Legacy: one JSONL file. New: the training JSONL at ``path`` and the corpus at
    ``corpus`` (default ``corpus.jsonl`` beside it); a path without suffix is a folder that
    receives ``train.jsonl`` and ``corpus.jsonl``. Scores and ranks are not written."""
    if layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}{suggestion(layout, LAYOUTS)}; layouts: "
                        f"{', '.join(LAYOUTS)}", field="layout")
    groups = query_groups(nset, source=source)
    refuse([g for g in groups if not g.pos], "have no positive",
           "Tevatron rows need at least one positive")
    if layout == "legacy":
        return write_jsonl(path, ({
            "query_id": g.qid, "query": g.text,
            "positive_passages": [{"docid": d.did, "title": "", "text": d.text} for d in g.pos],
            "negative_passages": [{"docid": d.did, "title": "", "text": d.text} for d in g.neg],
        } for g in groups))
    train = path / "train.jsonl" if not path.suffix else path
    corpus = Path(corpus) if corpus is not None else train.with_name("corpus.jsonl")
    if corpus == train:
        raise DataError("the corpus would overwrite the training file; pass corpus=PATH",
                        file=str(train), field="corpus")
    write_jsonl(corpus, ({"docid": did, "text": text}
                         for did, text in zip(nset.docs["did"].astype(str), nset.docs["text"])))
    write_jsonl(train, ({"query_id": g.qid, "query_text": g.text,
                         "positive_document_ids": [d.did for d in g.pos],
                         "negative_document_ids": [d.did for d in g.neg]} for g in groups))
    return path


FORMAT = Format(name="tevatron", detect=detect, load=load, write=write, priority=20,
                fields=("query_id", "query", "positive_passages", "negative_passages"))
