"""Several mined files over the same queries, lined up: one set of union candidates, one
selection per file (issue 26; DESIGN.md section 5, "several files").

Matching rules:

- **Queries** are matched by id where the ids agree, else by normalised text
  (:func:`normalise_text`: Unicode NFKC, lower case, runs of white space collapsed, trimmed).
  Ids agree between a file and the files before it when at least :data:`ID_AGREEMENT` (90%) of
  the ids they share carry the same normalised text; then a query whose id is known is matched
  by id (even if its text differs, e.g. by a prompt), any other by text. Files whose ids are
  made from the text (sentence-transformers, FlagEmbedding) or are row numbers match by text.
- **Documents** (positives and negatives) are matched the same way, by id or text.
- The result holds the union's queries and documents, and one row per (query, document) pair
  any file holds (``source = "pool"``, ``label = 1`` when any file labels it positive, so a
  document one file mines as a negative and another labels positive is a positive of the
  union). Each file's negatives become one selection named after the file: row indices into
  the union's pairs. A pair a file lists twice after matching (two of its documents with one
  text) is counted once and reported.

The :class:`MatchReport` says per file how many queries it has, how many matched by id or by
text, how many are common to every file, and which did not match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

ID_AGREEMENT = 0.9
AUTO_SAMPLE, LARGE_FILE = -1, 20_000
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """NFKC, lower case, white space collapsed and trimmed: the text key queries match by."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text)).lower()).strip()


def normalise_texts(texts: pd.Series) -> np.ndarray:
    """:func:`normalise_text` of every text, vectorised (pandas string methods)."""
    s = pd.Series(texts, dtype=object).astype(str)
    return (s.str.normalize("NFKC").str.lower().str.replace(_SPACE, " ", regex=True)
            .str.strip().to_numpy(dtype=object))


@dataclass
class FileMatch:
    """How one file's queries met the union."""

    name: str
    queries: int
    by_id: int
    by_text: int
    new: int
    negatives: int
    repeated_pairs: int
    id_agreement: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class MatchReport:
    files: list[FileMatch]
    union_queries: int
    common_queries: int
    unmatched: dict[str, list[str]] = field(default_factory=dict)  # file -> a few query texts

    def lines(self) -> list[str]:
        out = [f"{self.union_queries:,} queries in all, {self.common_queries:,} in every file"]
        for f in self.files:
            how = "ids agree" if f.id_agreement is not None and f.id_agreement >= ID_AGREEMENT \
                else "matched by text"
            out.append(f"{f.name}: {f.queries:,} queries ({f.by_id:,} by id, {f.by_text:,} by text, "
                       f"{f.new:,} in no earlier file; {how}), {f.negatives:,} negatives"
                       + (f", {f.repeated_pairs:,} repeated pairs counted once"
                          if f.repeated_pairs else ""))
        for name, texts in self.unmatched.items():
            if texts:
                out.append(f"not in every file, from {name}: " + "; ".join(repr(t[:60]) for t in texts))
        return out

    def as_dict(self) -> dict:
        return {"union_queries": self.union_queries, "common_queries": self.common_queries,
                "files": [f.as_dict() for f in self.files], "unmatched": self.unmatched}


@dataclass
class FileUnion:
    """The union candidates (``nset``: qid/did are union keys ``u<N>``), each file's negative
    rows into ``nset.pairs`` and its positive rows, and the match report."""

    nset: NegativeSet
    negatives: dict[str, np.ndarray]
    positives: dict[str, np.ndarray]
    report: MatchReport
    own_scores: dict[str, np.ndarray]   # file -> its own score per union pair (NaN: not scored)
    files: dict[str, str] = field(default_factory=dict)   # name -> path

    @property
    def names(self) -> list[str]:
        return list(self.negatives)

    def common_query_codes(self) -> np.ndarray:
        """Union query codes every file holds."""
        qcode = self.nset.pairs["qid"].cat.codes.to_numpy()
        sets = [np.unique(qcode[np.r_[self.negatives[n], self.positives[n]]]) for n in self.names]
        common = sets[0]
        for other in sets[1:]:
            common = np.intersect1d(common, other)
        return common


class _Keys:
    """Union keys of one kind (queries or documents): by id where agreed, else by text."""

    def __init__(self, prefix: str):
        self.prefix, self.by_text, self.by_id, self.text = prefix, {}, {}, []

    def agreement(self, ids: np.ndarray, texts: np.ndarray) -> float | None:
        shared = [(i, t) for i, t in zip(ids, texts) if i in self.by_id]
        if not shared:
            return None
        return float(np.mean([self.text[self.by_id[i]][1] == t for i, t in shared]))

    def assign(self, ids: np.ndarray, raw: np.ndarray, normed: np.ndarray, *,
               trust_ids: bool) -> tuple[np.ndarray, np.ndarray]:
        """Union codes for each (id, text), and how each matched: 0 id, 1 text, 2 new."""
        codes = np.empty(len(ids), dtype=np.int64)
        how = np.empty(len(ids), dtype=np.int8)
        for row, (i, t, norm) in enumerate(zip(ids, raw, normed)):
            if trust_ids and i in self.by_id:
                codes[row], how[row] = self.by_id[i], 0
            elif norm in self.by_text:
                codes[row], how[row] = self.by_text[norm], 1
            else:
                codes[row], how[row] = len(self.text), 2
                self.by_text[norm] = len(self.text)
                self.text.append((str(t), norm))
            self.by_id.setdefault(i, int(codes[row]))
        return codes, how

    def table(self, column: str) -> pd.DataFrame:
        return pd.DataFrame({column: [f"{self.prefix}{i}" for i in range(len(self.text))],
                             "text": [t for t, _ in self.text]})


def match_files(named: dict[str, NegativeSet], *, paths: dict[str, str] | None = None) -> FileUnion:
    """Line several files up (see the module rules); ``named``: file name -> its set, in order."""
    if len(named) < 1:
        raise DataError("no file to compare", field="files")
    queries, docs = _Keys("u"), _Keys("v")
    frames, reports = [], []
    for name, nset in named.items():
        qids = nset.queries["qid"].astype(str).to_numpy()
        qtexts = nset.queries["text"].astype(str).to_numpy()
        qnorm = normalise_texts(qtexts)
        q_agree = queries.agreement(qids, qnorm)
        qcode, qhow = queries.assign(qids, qtexts, qnorm, trust_ids=(q_agree or 0) >= ID_AGREEMENT)
        dids = nset.docs["did"].astype(str).to_numpy()
        dtexts = nset.docs["text"].astype(str).to_numpy()
        dnorm = normalise_texts(dtexts)
        d_agree = docs.agreement(dids, dnorm)
        dcode, _ = docs.assign(dids, dtexts, dnorm, trust_ids=(d_agree or 0) >= ID_AGREEMENT)
        pairs = nset.pairs
        frame = pd.DataFrame({
            "file": name, "q": qcode[pairs["qid"].cat.codes.to_numpy()],
            "d": dcode[pairs["did"].cat.codes.to_numpy()],
            "label": pairs["label"].to_numpy(), "own": pairs["score"].to_numpy(dtype=np.float64)})
        repeated = frame.duplicated(["q", "d", "label"])
        frame = frame[~repeated]
        frames.append(frame)
        used = np.unique(frame["q"].to_numpy())
        present = np.isin(qcode, used)
        reports.append(FileMatch(name, int(present.sum()), int(((qhow == 0) & present).sum()),
                                 int(((qhow == 1) & present).sum()), int(((qhow == 2) & present).sum()),
                                 int((frame["label"] == 0).sum()), int(repeated.sum()), q_agree))
    union = _assemble(frames, reports, queries, docs, paths or {})
    note = next(iter(named.values())).meta.get("query_sample")
    if note:
        union.nset.meta["query_sample"] = note
    return union


def _assemble(frames, reports, queries: _Keys, docs: _Keys, paths: dict) -> FileUnion:
    rows = pd.concat(frames, ignore_index=True)
    key = rows["q"].to_numpy() * (len(docs.text) + 1) + rows["d"].to_numpy()
    unique, inverse = np.unique(key, return_inverse=True)
    label = np.zeros(len(unique), dtype=np.int8)
    np.maximum.at(label, inverse, rows["label"].to_numpy())
    qtab, dtab = queries.table("qid"), docs.table("did")
    q_of, d_of = unique // (len(docs.text) + 1), unique % (len(docs.text) + 1)
    pairs = pd.DataFrame({"qid": pd.Categorical.from_codes(q_of, categories=qtab["qid"]),
                          "did": pd.Categorical.from_codes(d_of, categories=dtab["did"]),
                          "label": label, "source": "pool"})
    nset = NegativeSet(qtab, dtab, pairs, format="files", meta={"files": [r.name for r in reports]})
    negatives, positives, own = {}, {}, {}
    file_col = rows["file"].to_numpy()
    for report in reports:
        mine = file_col == report.name
        is_neg = rows["label"].to_numpy()[mine] == 0
        at = inverse[mine]
        negatives[report.name] = np.unique(at[is_neg])
        positives[report.name] = np.unique(at[~is_neg])
        scores = np.full(len(unique), np.nan)
        scores[at] = rows["own"].to_numpy()[mine]
        own[report.name] = scores
    held = [set(np.unique(q_of[np.r_[negatives[r.name], positives[r.name]]])) for r in reports]
    common = set.intersection(*held)
    unmatched = {r.name: [qtab["text"].iloc[q] for q in sorted(h - common)[:3]]
                 for r, h in zip(reports, held)}
    report = MatchReport(reports, len(qtab), len(common), unmatched)
    return FileUnion(nset, negatives, positives, report, own, dict(paths))


def open_files(paths: list[str], *, formats: list[str | None] | None = None, sample: int = 0,
               seed: int = 0) -> FileUnion:
    """Load and match files; each is named by its file name (made unique when two share one).
    ``sample`` > 0 keeps a seeded random sample of the first file's queries (``AUTO_SAMPLE``:
    2,000 when the first file has more than 20,000, else all)
    (``analysis.measure.query_sample``) and, of every other file, the queries matching them by
    id or text, so only those are matched."""
    from analysis.formats import load

    if len(paths) < 2:
        raise DataError("comparing files needs two or more", field="files")
    formats = formats or [None] * len(paths)
    named, where = {}, {}
    for path, fmt in zip(paths, formats):
        name = Path(path).name or str(path)
        while name in named:
            name = f"{Path(path).parent.name}/{name}" if "/" not in name else name + "'"
        named[name], where[name] = load(path, format=fmt), str(path)
    if sample == AUTO_SAMPLE:  # the app's rule: a sample of 2,000 above 20,000 queries
        from analysis.measure.query_sample import DEFAULT_SAMPLE

        sample = DEFAULT_SAMPLE if len(next(iter(named.values())).queries) > LARGE_FILE else 0
    if sample:
        named = sample_files(named, sample, seed=seed)
    return match_files(named, paths=where)


def sample_files(named: dict[str, NegativeSet], n: int, *, seed: int = 0) -> dict[str, NegativeSet]:
    """The first file's seeded sample of ``n`` queries, and the matching queries of the others."""
    from analysis.measure.query_sample import sample_queries

    first, *rest = named
    out = {first: sample_queries(named[first], n, seed=seed)}
    note = out[first].meta.get("query_sample")
    ids = set(out[first].queries["qid"].astype(str))
    texts = set(normalise_texts(out[first].queries["text"]))
    for name in rest:
        nset = named[name]
        keep = nset.queries["qid"].astype(str).isin(ids).to_numpy() | \
            pd.Series(normalise_texts(nset.queries["text"])).isin(texts).to_numpy()  # hashed
        out[name] = _restrict(nset, keep, note)
    return out


def _restrict(nset: NegativeSet, keep: np.ndarray, note: dict | None) -> NegativeSet:
    """``nset`` with only the queries ``keep`` marks, their pairs and the documents they use."""
    pairs = nset.pairs[keep[nset.pairs["qid"].cat.codes.to_numpy()]].reset_index(drop=True)
    used = np.zeros(len(nset.docs), dtype=bool)
    used[pairs["did"].cat.codes.to_numpy()] = True
    meta = {**nset.meta, **({"query_sample": note} if note else {})}
    return NegativeSet(nset.queries[keep], nset.docs[used], pairs, format=nset.format,
                       skipped=list(nset.skipped), meta=meta)
