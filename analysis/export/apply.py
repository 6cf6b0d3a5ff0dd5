"""Reproduce an exported selection from its settings file alone, bit for bit.

``reproduce(settings)`` walks the export path backwards:

1. **Check the inputs.** Every recorded file's sha256 must match (``inputs.changed_inputs``);
   a changed, missing or new file refuses with a message listing them, unless
   ``allow_changed_data`` (then each becomes a warning).
2. **Get the pool.** A pool Parquet file is read as it is; a raw dataset is loaded
   (``analysis.formats.load``, the recorded format) and pooled again with the recorded
   ``analysis.scoring.pool.build_pool`` settings (the embedding cache makes that cheap), or used as
   loaded when there are none. Only the rows of source ``"pool"`` are candidates
   (:func:`candidate_pool`).
3. **Select.** The strategy is rebuilt from ``{name, params}`` and draws from
   ``numpy.random.default_rng(seed)``, as ``analysis.workspace.select`` and the ``sample``
   command do.
4. **Prove it.** When the settings carry a selection fingerprint, the new selection's
   ``settings.selection_digest`` must equal it; otherwise the data matched but something else
   (the code, the model files) changed, and apply refuses rather than hand back other negatives.
5. **Training data.** Review decisions are applied (``analysis.export.training_data``) and the result
   is written by ``analysis.formats.write``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from analysis.export import settings as settings_mod
from analysis.export.inputs import changed_inputs, resolve_path
from analysis.export.settings import Settings
from analysis.model import DataError, NegativeSet

POOL_SOURCE = "pool"
Progress = Callable[[int, int, str], None]


@dataclass
class Applied:
    """What ``reproduce`` made: the candidate pool, the selection, the training data, and
    warnings (changed inputs accepted with ``allow_changed_data``, a changed model)."""

    settings: Settings
    pool: NegativeSet
    selection: object
    training: NegativeSet
    reproduced: bool | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def candidate_pool(nset: NegativeSet) -> NegativeSet:
    """The rows a strategy draws from: those of source ``"pool"`` (a pool file also carries the
    input's own pairs under their file names); a set with one source is returned as it is."""
    sources = nset.pairs["source"].astype(str)
    if sources.nunique() <= 1:
        return nset
    keep = (sources == POOL_SOURCE).to_numpy()
    if not keep.any():
        raise DataError(f"no pool rows (source {POOL_SOURCE!r}) among sources "
                        f"{sorted(sources.unique())}", field="source")
    return nset.with_pairs(nset.pairs[keep].reset_index(drop=True))


def dataset_path(settings: Settings, *, base: str | os.PathLike | None = None,
                 data: str | os.PathLike | None = None) -> Path:
    """Where the dataset is: ``data`` when given, else the recorded path (relative to ``base``)."""
    return Path(data) if data is not None else resolve_path(settings.dataset["path"], base)


def load_inputs(settings: Settings, *, base=None, data=None) -> tuple[NegativeSet, NegativeSet | None]:
    """The raw dataset and its separate corpus (or None), loaded as recorded."""
    from analysis.formats import load

    if settings.dataset["kind"] != "raw":
        raise DataError("load_inputs is for raw datasets; this one is a pool file",
                        field="dataset.kind")
    nset = load(dataset_path(settings, base=base, data=data), format=settings.dataset.get("format"))
    corpus_entry = settings.dataset.get("corpus")
    corpus = None
    if corpus_entry:
        corpus = load(resolve_path(corpus_entry["path"], base),
                      format=corpus_entry.get("format"))
    return nset, corpus


def _load_pool(settings: Settings, *, base=None, data=None, cache_dir=None,
              progress: Progress | None = None) -> NegativeSet:
    """The pool the settings describe (read, or rebuilt from the raw dataset), unsampled."""
    from analysis.formats.pool import read_pool

    if settings.dataset["kind"] == "pool":
        return read_pool(dataset_path(settings, base=base, data=data))
    from analysis.scoring.pool import build_pool

    nset, corpus = load_inputs(settings, base=base, data=data)
    if not settings.pool:  # sampled as loaded: a scored file's own candidates, by file rank
        from analysis.scoring.file_rank import as_candidates

        return as_candidates(nset) or nset
    spec = settings.pool
    corpus_entry = settings.dataset.get("corpus")
    pool = build_pool(nset, corpus=corpus, corpus_name=corpus_entry["path"] if corpus_entry else None,
                      model=spec.get("model"), query_prompt=spec.get("query_prompt"),
                      document_prompt=spec.get("document_prompt"), top_n=spec["top_n"],
                      cross_encoder=spec.get("cross_encoder"), cache_dir=cache_dir,
                      merge_texts=spec.get("merged_equal_texts") is not None, progress=progress)
    return pool


def load_pool(settings: Settings, *, base=None, data=None, cache_dir=None,
              progress: Progress | None = None) -> NegativeSet:
    """The candidate pool the settings describe (read, or rebuilt from the raw dataset), with
    the recorded query sample drawn as the run drew it."""
    pool = _load_pool(settings, base=base, data=data, cache_dir=cache_dir, progress=progress)
    if settings.sample:
        from analysis.measure.query_sample import sample_queries

        pool = sample_queries(pool, settings.sample["n"], seed=settings.sample["seed"])
    return candidate_pool(pool)


def reproduce(settings: Settings, *, base: str | os.PathLike | None = None,
              data: str | os.PathLike | None = None, allow_changed_data: bool = False,
              cache_dir: str | os.PathLike | None = None,
              progress: Progress | None = None) -> Applied:
    """Steps 1-5 of the module docstring; raises DataError when the inputs or the result
    differ from the export (inputs: unless ``allow_changed_data``)."""
    from analysis.export.training_data import training_set
    from analysis.strategies import from_json

    warnings = []
    changed = changed_inputs(settings, base=base, data=data)
    if changed and not allow_changed_data:
        raise DataError("the input data changed since the settings were exported:\n  "
                        + "\n  ".join(changed)
                        + "\nPass --allow-changed-data (allow_changed_data=True) to apply anyway, "
                          "or --data PATH if the same data moved.", field="dataset.files")
    warnings += [f"changed input accepted: {line}" for line in changed]

    pool = load_pool(settings, base=base, data=data, cache_dir=cache_dir, progress=progress)
    recorded_model = (settings.pool or {}).get("model_identity")
    built_model = pool.meta.get("pool", {}).get("model_identity")
    if settings.dataset["kind"] == "raw" and recorded_model and built_model != recorded_model:
        warnings.append(f"the model differs from the export: {built_model} (recorded "
                        f"{recorded_model})")

    selection = from_json(settings.strategy).select(pool, np.random.default_rng(settings.seed))
    reproduced = None
    if settings.selection:
        digest = settings_mod.selection_digest(pool, selection)
        reproduced = digest == settings.selection["sha256"]
        if not reproduced:
            message = (f"the selection differs from the exported one: {len(selection):,} rows "
                       f"(sha256 {digest[:12]}...) instead of {settings.selection['rows']:,} "
                       f"(sha256 {settings.selection['sha256'][:12]}...)")
            if not changed:
                message += ("; the input files match, so the code or the model changed"
                            + (f" ({warnings[-1]})" if warnings else ""))
            if not allow_changed_data:
                raise DataError(message, field="selection.sha256")
            warnings.append(message)
    training, notes = training_set(pool, selection, decisions=settings.decisions,
                                   false_negatives=settings.false_negatives)
    return Applied(settings=settings, pool=pool, selection=selection, training=training,
                   reproduced=reproduced, warnings=warnings, notes=notes)


def apply_file(path: str | os.PathLike, out: str | os.PathLike, *, format: str | None = None,
               data: str | os.PathLike | None = None, allow_changed_data: bool = False,
               scores: bool | None = None, cache_dir: str | os.PathLike | None = None,
               progress: Progress | None = None) -> Applied:
    """Read a settings file, reproduce its selection and write the training data to ``out``.

    ``format`` and ``scores`` default to the settings' ``output``; the format else ``sentence-transformers``
    (triplets); relative dataset paths are taken from the settings file's folder.
    """
    from analysis.export.training_data import write_training_data

    path = Path(path)
    settings = settings_mod.read(path)
    applied = reproduce(settings, base=path.parent, data=data,
                        allow_changed_data=allow_changed_data, cache_dir=cache_dir,
                        progress=progress)
    chosen = format or (settings.output or {}).get("format") or "sentence-transformers"
    if scores is None:
        scores = (settings.output or {}).get("scores")
    _, notes = write_training_data(applied.training, out, format=chosen, scores=scores,
                                   num_negatives=settings.strategy["params"].get("num_negatives"))
    applied.notes += notes
    return applied
