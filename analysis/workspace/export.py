"""Export: the settings file of a selection and its training data as one downloadable file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.model import NegativeSet


def export_settings(data_path: str | os.PathLike, candidates: NegativeSet, selection, *,
                    name: str, params: dict, seed: int, format: str | None = None,
                    decisions: pd.DataFrame | None = None, false_negatives: str = "drop"):
    """The settings file (``analysis.export.settings.Settings``) of one strategy's selection on the
    current pool, with the review decisions (a ``ReviewStore.all()`` table): what
    ``python -m analysis apply`` reproduces bit for bit."""
    from analysis.export.settings import from_run
    from analysis.strategies import create

    return from_run(data_path, strategy=create(name, **params), seed=seed, pool=candidates,
                    selection=selection, format=format or None,
                    decisions=decisions if decisions is not None else [],
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

    from analysis.export.training_data import (
        resolve_format,
        training_set,
        write_training_data,
    )

    name, _ = resolve_format(format)
    data, notes = training_set(candidates, selection,
                               decisions=decisions if decisions is not None else [],
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
