"""The settings file: one JSON document that reproduces a selection bit for bit (DESIGN.md s. 7).

Layout (``analysis/export/schema/settings.schema.json`` is the authority; ``format_version`` 1)::

    {"format_version": 1, "created": "...Z",
     "dataset": {"path": ..., "kind": "pool"|"raw", "format": null|name,
                 "files": [{"path", "sha256", "bytes"}, ...], "corpus": null|{...}},
     "pool": {"model", "model_identity", "top_n", "query_prompt", "document_prompt",
              "cross_encoder", "max_positives"},
     "strategy": {"name", "params"}, "seed": int, "sample": null|{"n", "of", "seed"},
     "filters": [<FilterCount.as_dict()>...], "selection": {"rows", "queries", "short_queries", "sha256"},
     "decisions": [{"qid", "did", "verdict", "time"}], "false_negatives": "drop"|"promote",
     "output": {"format": ..., "scores": true}}

Rules:

- ``dataset.kind`` is ``"pool"`` when the input is a pool Parquet file (``analysis.formats.pool``):
  applying it reads the pool and encodes nothing. Otherwise it is ``"raw"``: ``pool`` then holds
  the ``analysis.scoring.pool.build_pool`` arguments that rebuild the pool (the embedding cache makes
  that cheap the second time), or is null when the loaded set itself was sampled (a file that
  carries its own ranks and scores).
- Every input file is listed with its sha256 and size: the file itself, or every file under a
  folder (``analysis.formats.identity.data_files``: hidden files are left out). Paths inside ``files``
  are relative to the dataset folder (a single file lists its own name). ``dataset.path`` is
  stored absolute; a relative one (edited by hand) is taken relative to the settings file.
- ``selection.sha256`` fingerprints the exported selection (:func:`selection_digest`), so
  ``apply`` can prove it reproduced the same rows in the same order.
- ``sample`` is set when the run analysed a seeded random sample of queries (the candidates'
  ``meta["query_sample"]``, ``analysis.measure.query_sample``): ``apply`` draws the same sample
  of the candidates before the strategy.
- Decisions are inline, ``verdict`` one of :data:`VERDICTS`; ``false_negatives`` says what a
  ``false_negative`` verdict does to the training data (drop the negative, or promote it to a
  positive, as RLHN does).

``write`` validates against the schema before writing and ``read`` after reading, both raising
``DataError`` naming the file and the field (a JSON path such as ``dataset.files[0].sha256``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, Iterable

from analysis.export.inputs import file_digests
from analysis.false_negatives.review import VERDICTS
from analysis.model import DataError

FORMAT_VERSION = 1
POOL_KEYS = ("model", "model_identity", "top_n", "query_prompt", "document_prompt", "cross_encoder")


@dataclass(frozen=True)
class Settings:
    """A parsed settings file; :meth:`as_dict` gives the JSON document (see the module rules)."""

    dataset: dict
    strategy: dict
    seed: int
    pool: dict | None = None
    filters: list = field(default_factory=list)
    selection: dict | None = None
    decisions: list = field(default_factory=list)
    false_negatives: str = "drop"
    output: dict | None = None
    created: str | None = None
    sample: dict | None = None

    def as_dict(self) -> dict:
        doc = {"format_version": FORMAT_VERSION}
        if self.created:
            doc["created"] = self.created
        doc.update(dataset=self.dataset, pool=self.pool, strategy=self.strategy, seed=self.seed)
        if self.sample:
            doc["sample"] = self.sample
        doc.update(filters=list(self.filters), selection=self.selection,
                   decisions=list(self.decisions), false_negatives=self.false_negatives)
        if self.output:
            doc["output"] = self.output
        return doc

    def with_decisions(self, decisions: Iterable[dict], *, false_negatives: str | None = None) -> "Settings":
        """A copy with other review decisions (validated) and optionally another FN action."""
        return replace(self, decisions=check_decisions(decisions),
                       false_negatives=false_negatives or self.false_negatives)


# -- building -------------------------------------------------------------------------------------
def selection_digest(pool, selection) -> str:
    """sha256 of the selected ``(qid, did)`` pairs in selection order, one ``qid\\tdid\\n`` each."""
    pairs = pool.pairs
    qids = pairs["qid"].astype(str).to_numpy()[selection.rows]
    dids = pairs["did"].astype(str).to_numpy()[selection.rows]
    digest = hashlib.sha256()
    for qid, did in zip(qids, dids):
        digest.update(f"{qid}\t{did}\n".encode("utf-8"))
    return digest.hexdigest()


def _output(format: str | None, scores: bool) -> dict | None:
    """The ``output`` block: how the run wrote its training data (apply's defaults)."""
    out = {"format": format} if format else {}
    if scores:
        out["scores"] = True
    return out or None


def from_run(data: str | os.PathLike, *, strategy, seed: int, pool=None, selection=None,
             format: str | None = None, pool_settings: dict | None = None,
             corpus: str | os.PathLike | None = None, corpus_format: str | None = None,
             decisions: Iterable[dict] = (), false_negatives: str = "drop",
             output_format: str | None = None, output_scores: bool = False) -> Settings:
    """The settings of one run: ``strategy`` (a Strategy or its ``to_json()`` dict) drawn with
    ``numpy.random.default_rng(seed)`` on the pool made from ``data``.

    ``data`` is what the run was given: a pool Parquet file, or a dataset (then ``pool_settings``,
    else the ``pool`` NegativeSet's ``meta["pool"]``, says how the pool was built, and neither
    means the loaded set was sampled as it is; ``corpus`` is the separate corpus file, if one
    was searched). ``pool`` and ``selection`` (the run's pool
    and Selection) add the filter counts and the selection fingerprint.
    """
    from analysis.formats.pool import read_header

    data = Path(data)
    if not data.exists():
        raise DataError("no such file or folder", file=str(data), field="dataset")
    kind = "pool" if data.is_file() and read_header(data) is not None else "raw"
    dataset = {"path": str(data.resolve()), "kind": kind, "format": format,
               "files": file_digests(data)}
    if corpus is not None:
        if kind == "pool":
            raise DataError("a pool file already holds its corpus; corpus= is for raw datasets",
                            field="corpus")
        dataset["corpus"] = {"path": str(Path(corpus).resolve()), "format": corpus_format,
                             "files": file_digests(corpus)}
    built = dict(pool_settings if pool_settings is not None
                 else (pool.meta.get("pool", {}) if pool is not None else {}))
    if built and "top_n" not in built:
        raise DataError("pool settings need at least top_n", field="pool.top_n")
    pool_doc = {key: built.get(key) for key in POOL_KEYS} if built else None
    if pool_doc is not None and built.get("merged_equal_texts") is not None:
        pool_doc["merged_equal_texts"] = dict(built["merged_equal_texts"])
    if pool_doc is not None and pool is not None:
        positives = pool.pairs[pool.pairs["label"] == 1]
        pool_doc["max_positives"] = int(positives.groupby("qid", observed=True).size().max()) \
            if len(positives) else 0
    strategy_doc = strategy if isinstance(strategy, dict) else strategy.to_json()
    filters, summary = [], None
    if selection is not None:
        if pool is None:
            raise DataError("selection= needs the pool it was drawn from (pool=)", field="pool")
        report = selection.report
        filters = [step.as_dict() for step in report.filters]
        summary = {"rows": len(selection), "queries": report.num_queries,
                   "short_queries": report.num_short, "sha256": selection_digest(pool, selection)}
    settings = Settings(
        dataset=dataset, strategy=_jsonable(strategy_doc), seed=seed, pool=pool_doc,
        sample=_jsonable(pool.meta.get("query_sample")) if pool is not None else None,
        filters=_jsonable(filters), selection=summary, decisions=check_decisions(decisions),
        false_negatives=false_negatives,
        output=_output(output_format, output_scores),
        created=datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    validate(settings.as_dict())
    return settings


def check_decisions(decisions) -> list[dict]:
    """Decisions as ``{qid, did, verdict, time}`` dicts of strings, validated, order kept.

    Accepts dicts or a ``ReviewStore.all()`` table (its ``marked_at`` becomes ``time``).
    """
    if hasattr(decisions, "to_dict"):
        decisions = decisions.to_dict("records")
    out = []
    for number, item in enumerate(decisions):
        item = dict(item)
        missing = [k for k in ("qid", "did", "verdict") if item.get(k) in (None, "")]
        if missing:
            raise DataError(f"decision {number + 1} lacks {missing[0]!r}",
                            field=f"decisions[{number}].{missing[0]}")
        if item["verdict"] not in VERDICTS:
            raise DataError(f"verdict must be one of {VERDICTS}, got {item['verdict']!r}",
                            field=f"decisions[{number}].verdict")
        time = item.get("time", item.get("marked_at"))
        time = time.isoformat() if hasattr(time, "isoformat") else str(time or "")
        out.append({"qid": str(item["qid"]), "did": str(item["did"]),
                    "verdict": item["verdict"], "time": time or "unknown"})
    return out


def _jsonable(value: Any) -> Any:
    """Plain JSON types (numpy scalars and mapping proxies become ints, floats, dicts)."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "keys"):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


# -- reading, writing, validating -------------------------------------------------------------------
@cache
def schema() -> dict:
    """The JSON Schema of settings files (``analysis/export/schema/settings.schema.json``)."""
    from importlib.resources import files

    return json.loads(files("analysis.export").joinpath("schema", "settings.schema.json").read_text("utf-8"))


def validate(doc: Any, *, file: str | None = None) -> None:
    """Raise DataError (file, field = JSON path) unless ``doc`` is a valid settings document.

    Checks the schema, then what a schema cannot: the strategy exists and accepts its params.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        first = errors[0]
        where = _json_path(first.absolute_path) or None
        more = f" ({len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise DataError(f"not a valid settings file: {first.message}{more}", file=file, field=where)
    from analysis.strategies import from_json

    try:
        from_json(doc["strategy"])
    except DataError as exc:
        raise DataError(exc.reason, file=file, field=f"strategy.params.{exc.field}"
                        if exc.field and exc.field not in ("name", "strategy") else "strategy.name") from exc


def _json_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def write(settings: Settings, path: str | os.PathLike) -> Path:
    """Validate and write ``settings`` as indented UTF-8 JSON; returns the path."""
    path = Path(path)
    doc = settings.as_dict()
    validate(doc, file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")
    return path


def read(path: str | os.PathLike) -> Settings:
    """Read and validate a settings file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no such settings file", file=str(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(f"not JSON: {exc}", file=str(path), line=line) from None
    return loads(doc, file=str(path))


def loads(doc: Any, *, file: str | None = None) -> Settings:
    """A Settings from a parsed JSON document (validated)."""
    if isinstance(doc, dict) and doc.get("format_version") not in (None, FORMAT_VERSION):
        raise DataError(f"format_version {doc['format_version']!r} is not supported (this NegLens "
                        f"reads {FORMAT_VERSION})", file=file, field="format_version")
    validate(doc, file=file)
    return Settings(dataset=doc["dataset"], strategy=doc["strategy"], seed=doc["seed"],
                    pool=doc.get("pool"), filters=doc.get("filters", []),
                    selection=doc.get("selection"), decisions=doc["decisions"],
                    false_negatives=doc["false_negatives"], output=doc.get("output"),
                    created=doc.get("created"), sample=doc.get("sample"))
