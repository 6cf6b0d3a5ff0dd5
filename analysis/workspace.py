"""The dashboard's one door into the library: UI settings in, library calls out, cached on disk.

The flow of DESIGN.md section 1, as the dashboard walks it::

    fingerprint(path) -> load_dataset(path) -> ensure_pool(...) -> select(...) -> metrics

Rules:

- A dataset is identified by the sha256 of its bytes (:func:`fingerprint`): a file's content,
  or a folder's sorted relative file names and contents. Files the dashboard itself writes
  beside the data (review decisions) are left out, so reviewing never invalidates a cache.
  Fingerprints are memoised on every file's (size, mtime_ns), so a rerun costs a ``stat`` per
  file, not a re-read.
- A pool is cached on disk as a pool Parquet file (``analysis.formats.pool``) under
  ``<cache dir>/workspace/pools/``, named by the data's sha256, the format override and
  :meth:`PoolSettings.key`. A second start with the same data and settings reads it back and
  neither loads a model nor encodes anything; the embedding cache covers the case where only
  ``top_n`` changed.
- Data that already is a pool (a pool Parquet file) is used as it is: nothing is recomputed.
- Every strategy draws from its own ``numpy.random.default_rng(seed)``, so adding or removing a
  strategy never changes another's selection, and ``{name, params, seed}`` reproduces it.

No streamlit here: the dashboard wraps these calls in its caches (keyed by the strings this
module returns, never by hashing a DataFrame), and tests call them directly.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis.embedding_cache import default_cache_dir
from analysis.model import DataError, NegativeSet

Progress = Callable[[int, int, str], None]
DEFAULT_TOP_N = 100
_READ_CHUNK = 1 << 20
_fingerprints: dict[tuple, str] = {}


def workspace_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache dir>/workspace``: where pools built for the dashboard are kept."""
    return Path(cache_dir) if cache_dir is not None else default_cache_dir() / "workspace"


# -- identity of the data -------------------------------------------------------------------------
def data_files(path: str | os.PathLike) -> list[Path]:
    """The files that make up a dataset: the file itself, or every file under a folder (sorted),
    except hidden ones and the review decisions the dashboard writes beside the data."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError("no such file or folder", file=str(path))
    files = sorted(p for p in path.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not files:
        raise DataError("the folder holds no data files", file=str(path))
    return files


def fingerprint(path: str | os.PathLike) -> str:
    """sha256 (hex) of a dataset's bytes; for a folder, of each file's relative name and bytes."""
    path = Path(path)
    files = data_files(path)
    stamp = tuple((str(f), (st := f.stat()).st_size, st.st_mtime_ns) for f in files)
    if stamp in _fingerprints:
        return _fingerprints[stamp]
    digest = hashlib.sha256()
    for f in files:
        if path.is_dir():
            digest.update(f.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with f.open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    _fingerprints[stamp] = digest.hexdigest()
    return _fingerprints[stamp]


def load_dataset(path: str | os.PathLike, *, format: str | None = None) -> NegativeSet:
    """The dataset at ``path`` read with ``analysis.formats.load`` (``format`` overrides
    detection); a pool Parquet file comes back as the pool it holds."""
    from analysis.formats import load

    return load(Path(path), format=format or None)


def store_upload(name: str, content: bytes, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Keep an uploaded file as ``<workspace>/uploads/<sha256[:16]>/<name>`` and return its path.

    The name keeps only its last component (no directories from the browser); the folder is
    named by content, so uploading the same bytes twice reuses the file.
    """
    base = Path(str(name).replace("\\", "/")).name.strip()
    if not base or base in (".", ".."):
        raise DataError(f"an upload needs a file name, got {name!r}", field="name")
    if not content:
        raise DataError("the uploaded file is empty (0 bytes)", file=base, line=1)
    target = workspace_dir(cache_dir) / "uploads" / hashlib.sha256(content).hexdigest()[:16] / base
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{base}.{os.getpid()}.tmp")
        partial.write_bytes(content)
        os.replace(partial, target)
    return target


def is_pool(nset: NegativeSet) -> bool:
    """True when ``nset`` already is a candidate pool: it holds ranked, scored rows of source
    ``"pool"`` (a pool file written by ``python -m analysis pool`` or by this module)."""
    candidates = nset.pairs["source"] == "pool"
    return bool(candidates.any()) and nset.has_ranks and nset.has_scores


# -- the pool -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolSettings:
    """How a pool is built: bi-encoder ('' = the packaged all-MiniLM-L6-v2), candidates per
    query, and an optional cross-encoder ('' = none)."""

    model: str = ""
    top_n: int = DEFAULT_TOP_N
    cross_encoder: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.top_n, int) or isinstance(self.top_n, bool) or self.top_n < 1:
            raise DataError(f"top_n must be a positive integer, got {self.top_n!r}", field="top_n")

    def key(self) -> str:
        """Short hash of the settings and the model's identity (a changed model file changes it)."""
        from analysis.encode import model_identity, resolve_model

        ident = {"settings": asdict(self), "model": model_identity(resolve_model(self.model or None))}
        if self.cross_encoder:
            ident["cross_encoder"] = model_identity(self.cross_encoder)
        blob = json.dumps(ident, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]


def pool_file(data_sha: str, settings: PoolSettings, *, format: str | None = None,
              cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the pool for this data, loader override and settings is cached."""
    tag = hashlib.sha256(f"{data_sha}|{format or ''}|{settings.key()}".encode()).hexdigest()[:24]
    return workspace_dir(cache_dir) / "pools" / f"{data_sha[:16]}-{tag}.parquet"


def cached_pool(data_sha: str, settings: PoolSettings, *, format: str | None = None,
                cache_dir: str | os.PathLike | None = None) -> NegativeSet | None:
    """The cached pool, or None when it has not been built (no model is loaded either way)."""
    from analysis.formats.pool import read_pool

    path = pool_file(data_sha, settings, format=format, cache_dir=cache_dir)
    return read_pool(path) if path.is_file() else None


def ensure_pool(nset: NegativeSet, data_sha: str, settings: PoolSettings, *,
                format: str | None = None, cache_dir: str | os.PathLike | None = None,
                progress: Progress | None = None) -> NegativeSet:
    """The pool of ``nset`` under ``settings``: ``nset`` itself when it is a pool, else the
    cached one, else built with ``analysis.pool.build_pool`` (reporting ``progress``) and cached."""
    if is_pool(nset):
        return nset
    found = cached_pool(data_sha, settings, format=format, cache_dir=cache_dir)
    if found is not None:
        return found
    from analysis.formats.pool import write_pool
    from analysis.pool import build_pool

    pool = build_pool(nset, model=settings.model or None, top_n=settings.top_n,
                      cross_encoder=settings.cross_encoder or None, progress=progress)
    target = pool_file(data_sha, settings, format=format, cache_dir=cache_dir)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    write_pool(pool, partial)
    os.replace(partial, target)
    return pool


# -- embeddings of a pool (for the map) -----------------------------------------------------------
def pool_embeddings(pool: NegativeSet, *, encode_missing: bool = False,
                    cache_dir: str | os.PathLike | None = None,
                    progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Query and document embeddings aligned with ``pool.queries`` / ``pool.docs`` rows.

    Read from the embedding cache under the pool's recorded model identity and prompts, so
    after a pool build they come back without loading a model. When some are missing: None,
    unless ``encode_missing``, which loads the pool's model and encodes them (``progress``).
    A pool that records no model (a synthetic one) raises DataError.
    """
    from analysis.embedding_cache import EmbeddingCache, text_keys

    settings = pool.meta.get("pool") or {}
    identity = settings.get("model_identity")
    if not identity:
        raise DataError("this pool does not record the model that scored it, so its texts "
                        "cannot be embedded consistently", field="pool.model_identity")
    out, encoder = [], None
    for role, table, prompt in (("query", pool.queries, settings.get("query_prompt")),
                                ("document", pool.docs, settings.get("document_prompt"))):
        texts = table["text"].astype(str).tolist()
        cache = EmbeddingCache({"model": identity, "role": role, "prompt": prompt}, directory=cache_dir)
        found, vectors = cache.lookup(text_keys(texts))
        if found.all():
            out.append(vectors)
            continue
        if not encode_missing:
            return None
        if encoder is None:
            from analysis.encode import load_encoder

            encoder = load_encoder(settings.get("model"))
        if encoder.identity != identity:
            raise DataError(f"the model {settings.get('model')!r} changed since the pool was built",
                            field="pool.model_identity")
        out.append(encoder.embed(texts, role=role, prompt=prompt, cache_dir=cache_dir,
                                 progress=progress))
    return out[0], out[1]


def map_table(candidates: NegativeSet, query_emb: np.ndarray, doc_emb: np.ndarray, *,
              method: str = "pca", max_points: int = 100_000) -> tuple[pd.DataFrame, str]:
    """The points of the map (``analysis.projection.map_points``: one per query, one per pool
    row, at most ``max_points`` by stratified sampling with seed 0) and the sentence saying how
    many are shown."""
    from analysis.projection import Projector, map_points

    table, sample = map_points(candidates.pairs, query_emb, doc_emb, projector=Projector(method),
                               max_points=max_points, rng=np.random.default_rng(0))
    return table, sample.note


def map_colours(table: pd.DataFrame, candidates: NegativeSet, selections: dict, *,
                by: str) -> np.ndarray:
    """One colour label per map point.

    ``role``: query / positive / negative. ``strategy``: for a negative, the strategy that chose
    it, ``"<k> strategies"`` when several did, ``"not selected"`` when none; queries and
    positives keep their role.
    """
    role = table["role"].astype(str).to_numpy()
    if by == "role":
        return role
    if by != "strategy":
        raise DataError(f"cannot colour the map by {by!r}", field="color")
    pairs = candidates.pairs
    chosen = np.zeros((len(pairs), len(selections)), dtype=bool)
    for j, sel in enumerate(selections.values()):
        chosen[np.asarray(sel.rows), j] = True
    count = chosen.sum(axis=1)
    names = np.array(list(selections), dtype=object)
    label = np.where(count == 0, "not selected",
                     np.where(count == 1, names[chosen.argmax(axis=1)] if len(names) else "",
                              pd.Series(count).astype(str).to_numpy() + " strategies"))
    row = _row_lookup(pairs, table)
    out = role.astype(object)
    negative = (role == "negative") & (row >= 0)
    out[negative] = label[row[negative]]
    return out


def _row_lookup(pairs: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Row of ``pairs`` for each (qid, did) of ``table`` (-1 where none, e.g. queries)."""
    index = pd.MultiIndex.from_arrays([pairs["qid"].astype(str), pairs["did"].astype(str)])
    wanted = pd.MultiIndex.from_arrays([table["qid"].astype(str).fillna(""),
                                        table["did"].astype(str).fillna("")])
    return index.get_indexer(wanted)


def with_texts(table: pd.DataFrame, nset: NegativeSet) -> pd.DataFrame:
    """``table`` (with ``qid`` and ``did`` columns) plus the query and document texts."""
    query = nset.query_text()
    doc = nset.doc_text()
    out = table.copy()
    out["query"] = query.reindex(out["qid"].astype(str)).to_numpy()
    out["document"] = doc.reindex(out["did"].astype(str).fillna("")).to_numpy()
    return out


# -- clusters, false-negative suspects, review -----------------------------------------------------
def doc_clusters(candidates: NegativeSet, doc_emb: np.ndarray | None) -> np.ndarray | None:
    """Cluster of each document (aligned with the did categories): the pool's own ``cluster``
    column when it has one, else ``analysis.clusters.kmeans_labels`` of the document embeddings
    (default k), else None (no embeddings: nothing to cluster)."""
    pairs = candidates.pairs
    if "cluster" in pairs.columns:
        out = np.full(len(pairs["did"].cat.categories), -1, dtype=np.int32)
        out[pairs["did"].cat.codes.to_numpy()] = pairs["cluster"].to_numpy()
        return out
    if doc_emb is None:
        return None
    from analysis.clusters import kmeans_labels

    return kmeans_labels(doc_emb)


def suspects(candidates: NegativeSet, *, doc_emb: np.ndarray | None = None,
             clusters: np.ndarray | None = None) -> pd.DataFrame:
    """``analysis.signals.find_suspects`` on the pool's negatives, with every signal the inputs
    allow (margin from scores, cross-encoder from ``ce_score``, near-duplicate from the
    embeddings, same-cluster from ``clusters``, answer match from an ``answers`` column), plus
    ``gap``. Rows follow the pool's negative rows."""
    from analysis.gaps import score_gaps
    from analysis.signals import find_suspects

    pairs = candidates.pairs
    texts = candidates.doc_text() if "answers" in pairs.columns else None
    table = find_suspects(pairs, doc_embeddings=doc_emb, doc_clusters=clusters, doc_texts=texts)
    table.insert(5, "gap", score_gaps(pairs)[pairs["label"].to_numpy() == 0].astype(np.float32))
    return table


def review_store(data_path: str | os.PathLike):
    """The ``analysis.review.ReviewStore`` beside the data (see ``default_review_path``)."""
    from analysis.review import ReviewStore

    return ReviewStore.for_data(data_path)


def query_list(candidates: NegativeSet, table: pd.DataFrame, decisions: pd.DataFrame, *,
               only: str = "all", search: str = "") -> pd.DataFrame:
    """One row per query of the pool: ``qid, text, negatives, suspects, reviewed``, filtered by
    ``only`` (``all``, ``suspects``: with a suspect negative, ``reviewed``: with a verdict) and
    by ``search`` (case-insensitive, in the qid or the text); in the pool's query order."""
    qids = candidates.queries["qid"].astype(str)
    counts = table.assign(qid=table["qid"].astype(str)).groupby("qid", observed=True).agg(
        negatives=("did", "size"), suspects=("is_suspect", "sum"))
    reviewed = decisions["qid"].astype(str).value_counts() if len(decisions) else pd.Series(dtype=int)
    out = pd.DataFrame({"qid": qids.to_numpy(), "text": candidates.queries["text"].astype(str).to_numpy()})
    out["negatives"] = counts["negatives"].reindex(out["qid"]).fillna(0).astype(int).to_numpy()
    out["suspects"] = counts["suspects"].reindex(out["qid"]).fillna(0).astype(int).to_numpy()
    out["reviewed"] = reviewed.reindex(out["qid"]).fillna(0).astype(int).to_numpy()
    if only == "suspects":
        out = out[out["suspects"] > 0]
    elif only == "reviewed":
        out = out[out["reviewed"] > 0]
    elif only != "all":
        raise DataError(f"only must be all, suspects or reviewed, got {only!r}", field="only")
    if search.strip():
        needle = search.strip().lower()
        hit = out["qid"].str.lower().str.contains(needle, regex=False) | \
            out["text"].str.lower().str.contains(needle, regex=False)
        out = out[hit]
    return out.reset_index(drop=True)


def query_negatives(candidates: NegativeSet, table: pd.DataFrame, decisions: pd.DataFrame,
                    qid: str, *, only: str = "all") -> pd.DataFrame:
    """The negatives of one query, by rank: rank, score, gap, each signal, risk, suspect flag,
    the verdict (if any) and the document text; ``only`` as in :func:`query_list`."""
    rows = table[table["qid"].astype(str) == str(qid)].sort_values("rank", kind="stable")
    verdicts = decisions[decisions["qid"].astype(str) == str(qid)].set_index("did")["verdict"] \
        if len(decisions) else pd.Series(dtype=object)
    out = rows.drop(columns=["qid", "source"]).copy()
    out["did"] = out["did"].astype(str)
    out["verdict"] = verdicts.reindex(out["did"]).to_numpy()
    if only == "suspects":
        out = out[out["is_suspect"]]
    elif only == "reviewed":
        out = out[out["verdict"].notna()]
    out["document"] = candidates.doc_text().reindex(out["did"]).astype(str).to_numpy()
    return out.reset_index(drop=True)


def query_positives(candidates: NegativeSet, qid: str) -> pd.DataFrame:
    """The labelled positives of one query: ``did, rank, score, document``."""
    pairs = candidates.pairs
    rows = pairs[(pairs["qid"].astype(str) == str(qid)) & (pairs["label"] == 1)]
    rows = rows.drop_duplicates("did")  # a loaded file's positive also sits in the pool rows
    out = pd.DataFrame({"did": rows["did"].astype(str).to_numpy(), "rank": rows["rank"].to_numpy(),
                        "score": rows["score"].to_numpy()})
    out["document"] = candidates.doc_text().reindex(out["did"]).astype(str).to_numpy()
    return out


# -- export ---------------------------------------------------------------------------------------
def decision_records(decisions: pd.DataFrame) -> list[dict]:
    """Review decisions (``ReviewStore.all()``) as the settings file's ``{qid, did, verdict,
    time}`` records."""
    return [{"qid": str(row.qid), "did": str(row.did), "verdict": str(row.verdict),
             "time": pd.Timestamp(row.marked_at).isoformat()} for row in decisions.itertuples()]


def export_settings(data_path: str | os.PathLike, candidates: NegativeSet, selection, *,
                    name: str, params: dict, seed: int, format: str | None = None,
                    decisions: pd.DataFrame | None = None, false_negatives: str = "drop"):
    """The settings file (``analysis.settings.Settings``) of one strategy's selection on the
    current pool: what ``python -m analysis apply`` reproduces bit for bit."""
    from analysis.settings import from_run
    from analysis.strategies import create

    records = decision_records(decisions) if decisions is not None else []
    return from_run(data_path, strategy=create(name, **params), seed=seed, pool=candidates,
                    selection=selection, format=format or None, decisions=records,
                    false_negatives=false_negatives)


def training_file(candidates: NegativeSet, selection, *, format: str,
                  decisions: pd.DataFrame | None = None, false_negatives: str = "drop",
                  scores: bool | None = None) -> tuple[str, bytes, list[str]]:
    """The selection's training data, review decisions applied, as one downloadable file:
    ``(file name, bytes, notes)``. A format that writes several files (Tevatron with a corpus)
    comes as one zip archive."""
    import io
    import tempfile
    import zipfile

    from analysis.training_data import resolve_format, training_set, write_training_data

    name, _ = resolve_format(format)
    data, notes = training_set(candidates, selection,
                               decisions=decision_records(decisions) if decisions is not None else [],
                               false_negatives=false_negatives)
    stem = f"{selection.strategy}-{name.replace('/', '-')}"
    with tempfile.TemporaryDirectory(prefix="neglens-export-") as tmp:
        path, written = write_training_data(data, Path(tmp) / "out" / f"{stem}.jsonl", format=name,
                                            scores=scores)
        files = [p for p in Path(tmp).rglob("*") if p.is_file()]
        if len(files) == 1:
            return files[0].name, files[0].read_bytes(), notes + written
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for f in sorted(files):
                archive.write(f, f.relative_to(Path(tmp) / "out").as_posix())
        return f"{stem}.zip", buffer.getvalue(), notes + written


# -- what the Overview shows ----------------------------------------------------------------------
def overview_tables(pool: NegativeSet, candidates: NegativeSet, selections: dict, *,
                    how: str = "min") -> dict[str, pd.DataFrame]:
    """The Overview page's tables: one group per source of ``pool`` (``pool``, a loaded file's
    own pairs) and one per strategy (``selections``: rows into ``candidates``).

    - ``stats``: ``analysis.stats.summary_table`` per group, long (group, metric); every group
      holds the query positives, so its Difference uses the same ``s_pos``;
    - ``scores``: histograms of the positives' scores and of each group's negative scores;
    - ``gaps``: histograms of ``gap = s_pos - s_neg`` per group;
    - ``filters``: every strategy's sequential filter counts and its shortfall.
    """
    from analysis.gaps import score_gaps
    from analysis.stats import summary_table

    groups = [(str(name), pool.pairs, np.flatnonzero((pool.pairs["source"] == name).to_numpy()))
              for name in pool.pairs["source"].cat.categories]
    groups += [(name, candidates.pairs, np.asarray(sel.rows)) for name, sel in selections.items()]
    positives = np.flatnonzero(candidates.pairs["label"].to_numpy() == 1)
    gap_of = {id(t): score_gaps(t, how=how) for t in (pool.pairs, candidates.pairs)}
    stats, scores, gaps = [], {"positives": candidates.pairs["score"].to_numpy()[positives]}, {}
    for name, pairs, rows in groups:
        negatives = rows[pairs["label"].to_numpy()[rows] == 0]
        if not len(negatives):
            continue
        part = pd.concat([candidates.pairs.iloc[positives], pairs.iloc[negatives]],
                         ignore_index=True).assign(source=name)
        stats.append(summary_table(part, by="source", how=how))
        scores[f"{name} negatives"] = pairs["score"].to_numpy()[negatives]
        gaps[name] = gap_of[id(pairs)][negatives]
    filters = [{"strategy": name, **step.as_dict(), "value": _text(step.value)}
               for name, sel in selections.items() for step in sel.report.filters]
    filters += [{"strategy": name, "name": "shortfall", "value": str(sel.report.requested),
                 "rule": "queries with fewer negatives than asked (never padded)",
                 "removed": sel.report.num_short, "candidates": sel.report.num_queries}
                for name, sel in selections.items()]
    return {
        "stats": pd.concat(stats, ignore_index=True),
        "scores": histogram_table(scores),
        "gaps": histogram_table(gaps),
        "filters": pd.DataFrame(filters, columns=["strategy", "name", "value", "rule", "removed",
                                                  "candidates"]),
    }


def _text(value) -> str:
    return "" if value is None else str(value)


# -- binned distributions (what the charts draw) --------------------------------------------------
def histogram_table(groups: dict[str, np.ndarray], *, bins: int = 40,
                    integer: bool = False) -> pd.DataFrame:
    """Histograms of several groups on shared bin edges, as a tidy table.

    Columns ``group``, ``left``, ``right``, ``count``, ``share`` (count / the group's values).
    NaN values are left out. ``integer`` makes unit-wide bins when the values span at most
    ``bins`` integers (ranks), else edges are spread evenly over the values' overall range.
    Binning here keeps charts small: a million values become ``bins`` bars per group.
    """
    clean = {name: np.asarray(v, dtype=np.float64) for name, v in groups.items()}
    clean = {name: v[~np.isnan(v)] for name, v in clean.items()}
    known = [v for v in clean.values() if len(v)]
    if not known:
        return pd.DataFrame(columns=["group", "left", "right", "count", "share"])
    low = min(float(v.min()) for v in known)
    high = max(float(v.max()) for v in known)
    if integer and high - low + 1 <= bins:
        edges = np.arange(low, high + 2) - 0.5
    else:
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    frames = []
    for name, values in clean.items():
        counts, _ = np.histogram(values, bins=edges)
        frames.append(pd.DataFrame({"group": name, "left": edges[:-1], "right": edges[1:],
                                    "count": counts,
                                    "share": counts / len(values) if len(values) else 0.0}))
    return pd.concat(frames, ignore_index=True)


def ecdf_table(groups: dict[str, np.ndarray], *, points: int = 200) -> pd.DataFrame:
    """Empirical CDFs of several groups on one shared grid of ``points`` x values.

    Columns ``group``, ``x``, ``share`` (the fraction of the group's values <= x); NaN left out.
    """
    clean = {name: np.sort(np.asarray(v, dtype=np.float64)) for name, v in groups.items()}
    clean = {name: v[~np.isnan(v)] for name, v in clean.items()}
    known = [v for v in clean.values() if len(v)]
    if not known:
        return pd.DataFrame(columns=["group", "x", "share"])
    grid = np.unique(np.linspace(min(v[0] for v in known), max(v[-1] for v in known), points))
    frames = [pd.DataFrame({"group": name, "x": grid,
                            "share": np.searchsorted(v, grid, side="right") / max(len(v), 1)})
              for name, v in clean.items() if len(v)]
    return pd.concat(frames, ignore_index=True)


def pool_column(candidates: NegativeSet, column: str) -> np.ndarray:
    """One value per candidate row: ``rank`` (raw rank, positives included), ``neg_rank``
    (1-based rank among the query's non-positives, sentence-transformers' ``range_min``
    convention), ``gap`` (``s_pos - s_neg``) or any other pool column. Index it with a
    selection's ``rows`` to get that strategy's values."""
    if column == "neg_rank":
        from analysis.strategies.view import PoolView

        view = PoolView.of(candidates)
        values = np.empty(len(view.rows), dtype=np.int64)
        values[view.rows] = view.neg_position + 1
        return values
    if column == "gap":
        from analysis.gaps import score_gaps

        return score_gaps(candidates.pairs)
    if column not in candidates.pairs.columns:
        raise DataError(f"the pool has no column {column!r}", field=column)
    return candidates.pairs[column].to_numpy()


# -- strategies -----------------------------------------------------------------------------------
def select(pool: NegativeSet, name: str, params: dict, *, seed: int):
    """The selection strategy ``name`` with ``params`` makes on ``pool``, drawing from
    ``numpy.random.default_rng(seed)`` (its own generator: strategies never share draws)."""
    from analysis.strategies import create

    strategy = create(name, **params)
    return strategy.select(pool, np.random.default_rng(seed))

