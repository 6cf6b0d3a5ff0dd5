"""BEIR-style folders: corpus, queries, qrels, and optionally a TREC run file.

Layout (BEIR's ``GenericDataLoader``)::

    corpus.jsonl        {"_id", "title", "text"}      -> documents
    queries.jsonl       {"_id", "text"}               -> queries
    qrels/{split}.tsv   query-id  corpus-id  score    (a header line)
    run.trec or *.run   qid Q0 docid rank score tag   (optional; or option run=PATH)

Mapping: a document's text is ``title + " " + text`` when the title is not blank (BEIR's own
join), else ``text``. Only queries judged in the chosen split are kept, as BEIR does; every
corpus document is kept. Qrels score > 0 is a positive; 0 (or below) is a judged negative,
kept with label 0. ``split`` defaults to "test", or the only split present.

With a run file, every retrieved document becomes a pair with the run's rank and score:
labelled as the qrels say, and a negative when unjudged. Judged pairs the run did not
retrieve keep rank 0 (unknown) and no score. Run lines for queries outside the split are
counted in one warning; lines naming unknown documents are skipped. A run whose ranks start
at 0 is shifted to 1-based, with a warning.
"""

from __future__ import annotations

from pathlib import Path

from analysis.formats._builder import SetBuilder
from analysis.formats._open import COMPRESSIONS, plain_name, plain_suffix
from analysis.formats._read import (
    RowError,
    check_score,
    check_text,
    decode_line,
    get_field,
    iter_jsonl,
    iter_lines,
    short_value,
)
from analysis.formats._registry import Format
from analysis.formats.qrels import read_judgements
from analysis.model import DataError, NegativeSet

RUN_NAMES = ("run.trec",)
RUN_SUFFIXES = (".run", ".trec")
MAX_RANK = 2**31 - 1  # ranks are stored as int32


def _named(folder: Path, name: str) -> Path:
    """``folder/name``, or its compressed copy (``corpus.jsonl.gz``...) when only that exists."""
    plain = folder / name
    if plain.is_file():
        return plain
    found = [folder / (name + suffix) for suffix in COMPRESSIONS if (folder / (name + suffix)).is_file()]
    return found[0] if found else plain


def detect(path: Path) -> bool:
    return (path.is_dir() and _named(path, "corpus.jsonl").is_file()
            and _named(path, "queries.jsonl").is_file() and (path / "qrels").is_dir())


def _splits(qrels: Path) -> dict[str, Path]:
    """split name -> qrels file (``test.tsv``, or ``test.tsv.gz`` ...)."""
    found = {}
    for p in sorted(qrels.iterdir()):
        if p.is_file() and plain_suffix(p) == ".tsv":
            found.setdefault(plain_name(p)[: -len(".tsv")], p)
    return found


def _choose_split(qrels: Path, split: str | None) -> str:
    splits = sorted(_splits(qrels))
    if split is not None:
        if split not in splits:
            raise DataError(f"no split {split!r}; splits: {splits}", file=str(qrels), field="split")
        return split
    if "test" in splits:
        return "test"
    if len(splits) == 1:
        return splits[0]
    raise DataError(f"no test split and several others {splits}; pass split=NAME",
                    file=str(qrels), field="split")


def _run_file(folder: Path, run) -> Path | None:
    if run is not None:
        return Path(run)
    found = [p for p in sorted(folder.iterdir())
             if p.is_file() and (plain_name(p) in RUN_NAMES or plain_suffix(p) in RUN_SUFFIXES)]
    if len(found) > 1:
        raise DataError(f"several run files {[p.name for p in found]}; pass run=PATH",
                        file=str(folder), field="run")
    return found[0] if found else None


def load(path: Path, *, split: str | None = None, run=None) -> NegativeSet:
    """Load a BEIR folder (and its run file, if any)."""
    if not detect(path):
        raise DataError("a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/",
                        file=str(path))
    split = _choose_split(path / "qrels", split)
    qrels_file = _splits(path / "qrels")[split]
    run_file = _run_file(path, run)
    builder = SetBuilder(str(qrels_file), source=path.name)
    corpus, queries = _named(path, "corpus.jsonl"), _named(path, "queries.jsonl")
    _read_corpus(corpus, builder)
    texts = _read_queries(queries, builder)
    judged = _read_qrels(qrels_file, builder, texts)
    if run_file is not None:
        _read_run(run_file, builder, judged)
    used = [corpus.name, queries.name, f"qrels/{qrels_file.name}"]
    if run_file is not None:
        used.append(str(run_file) if run is not None else run_file.name)
    ignored = [{"file": f"qrels/{p.name}", "reason": f"another split (using {split!r})"}
               for p in sorted((path / "qrels").iterdir()) if p != qrels_file]
    ignored += [{"file": p.name, "reason": "not part of a BEIR folder"}
                for p in sorted(path.iterdir())
                if p.name not in used and p.name != "qrels" and not p.name.startswith(".")
                and p != run_file]
    return builder.build("beir", meta={"split": split, "files": {"used": used, "ignored": ignored}})


def _read_corpus(file: Path, builder: SetBuilder) -> None:
    def skip(line, err):
        builder.skip(line, err, file=str(file))

    for line, row in iter_jsonl(file, skip):
        try:
            did = get_field(row, "_id")
            text, title = get_field(row, "text"), row.get("title")
            if not isinstance(text, str):
                raise RowError("text", f"expected text, got {type(text).__name__}")
            joined = _join(title, text)
            check_text(joined, "text")
        except RowError as exc:
            skip(line, exc)
            continue
        builder.doc(joined, did=str(did), line=line)


def _join(title, text: str) -> str:
    """BEIR's document text: title and text joined by a space; a blank part is left out."""
    if not (isinstance(title, str) and title.strip()):
        return text
    return f"{title} {text}" if text.strip() else title


def _read_queries(file: Path, builder: SetBuilder) -> dict[str, tuple[str, int]]:
    texts: dict[str, tuple[str, int]] = {}
    for line, row in iter_jsonl(file, lambda ln, err: builder.skip(ln, err, file=str(file))):
        try:
            qid = str(get_field(row, "_id"))
            texts.setdefault(qid, (check_text(get_field(row, "text"), "text"), line))
        except RowError as exc:
            builder.skip(line, exc, file=str(file))
    return texts


def _columns(file: Path, builder: SetBuilder, count: int):
    """(line, fields) of a whitespace/tab-separated file; a short line is skipped."""
    for line, raw in iter_lines(file):
        try:
            fields = decode_line(raw, line).split()
            if not fields:
                continue
            if len(fields) < count:
                raise RowError(None, f"expected {count} columns, got {len(fields)}")
        except RowError as exc:
            builder.skip(line, exc, file=str(file))
            continue
        yield line, fields


def _read_qrels(file: Path, builder: SetBuilder, texts: dict) -> dict[tuple[str, str], int]:
    qrels = read_judgements(file, separator="tab")
    for line, exc in qrels.skipped:
        builder.skip(line, exc)
    judged: dict[tuple[str, str], int] = {}
    for row in qrels.judgements:
        try:
            if row.qid not in texts:
                raise RowError("query-id", f"query {row.qid!r} is not in queries.jsonl")
            if row.did not in builder.docs:
                raise RowError("corpus-id", f"document {row.did!r} is not in corpus.jsonl")
        except RowError as exc:
            builder.skip(row.line, exc)
            continue
        text, qline = texts[row.qid]
        label = int(row.relevant)
        builder.pair(builder.query(text, qid=row.qid, line=qline), row.did, label, line=row.line)
        judged[(row.qid, row.did)] = label
    return judged


def _read_run(file: Path, builder: SetBuilder, judged: dict) -> None:
    if not file.is_file():
        raise DataError("no such run file", file=str(file), field="run")
    if file.stat().st_size == 0:
        raise DataError("the run file is empty (0 bytes)", file=str(file), line=1)
    rows, outside = [], set()
    for line, (qid, _q0, did, rank, score, *_) in _columns(file, builder, 6):
        try:
            if qid not in builder.queries:
                outside.add(qid)
                continue
            if did not in builder.docs:
                raise RowError("docid", f"document {did!r} is not in corpus.jsonl")
            try:
                rank_value = int(rank)
            except ValueError:
                raise RowError("rank", f"expected an integer rank, got {short_value(rank)}") from None
            if not 0 <= rank_value <= MAX_RANK:
                raise RowError("rank", f"rank {short_value(rank_value)} is not in 0..{MAX_RANK}")
            score_value = check_score(score, "score")
        except RowError as exc:
            builder.skip(line, exc, file=str(file))
            continue
        rows.append((line, qid, did, rank_value, score_value))
    if outside:
        builder.warn(None, f"{len(outside)} queries in the run are not judged in this split; "
                           "their lines are ignored", file=str(file))
    shift = int(bool(rows) and min(r[3] for r in rows) == 0)
    if shift:
        builder.warn(None, "ranks start at 0; shifted to 1-based", file=str(file))
    for line, qid, did, rank, score in rows:
        builder.pair(qid, did, judged.get((qid, did), 0), score=score, rank=rank + shift, line=line)


FORMAT = Format(name="beir", detect=detect, load=load, priority=30, files=False,
                fields=("_id", "title", "text"))
