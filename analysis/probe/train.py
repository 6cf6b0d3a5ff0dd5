"""Fine-tune a fresh copy of the base model on one strategy's training data.

Recipe (sentence-transformers' own, so a result carries over to a real training run):

- ``SentenceTransformerTrainer`` with ``MultipleNegativesRankingLoss`` on n-tuple rows
  ``(anchor, positive, negative_1..k)``: each anchor is scored against its positive, its own
  negatives and every other row's positive and negatives in the batch (in-batch negatives);
- the ``NO_DUPLICATES`` batch sampler, which keeps a text from appearing twice in a batch (so
  one query's positive never serves as another's in-batch negative);
- AdamW at ``learning_rate`` with linear warm-up over ``warmup_ratio`` of the steps, then
  linear decay; ``epochs`` passes, or exactly ``max_steps`` steps when that is set;
- determinism: ``transformers.set_seed(seed)`` seeds ``random``, numpy and torch (CUDA too),
  and the trainer's ``seed`` / ``data_seed`` fix dropout and the batch order. On the CPU the
  same seed and data give the same weights (tested). On CUDA some kernels accumulate in
  nondeterministic order, so repeated runs can differ in the last digits; the probe does not
  switch on torch's global deterministic mode, which would also constrain every other
  computation in the process (the dashboard's).

The trainer's own progress bars and printed logs are replaced by a callback that reports
``progress(step, total_steps)`` and stops at the next step once ``cancel()`` returns True.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd

from analysis.probe.config import ProbeSettings


class ProbeCancelled(Exception):
    """The caller asked the probe to stop (``cancel()`` returned True)."""


@dataclass(frozen=True)
class TrainInfo:
    """What training did: rows, steps, the loss at the first and last step, the mean loss,
    the relative change of the weights ``||w - w0|| / ||w0||``, and the seconds it took."""

    examples: int
    steps: int
    first_loss: float
    last_loss: float
    mean_loss: float
    weight_change: float
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_device(device: str | None) -> str:
    """``device`` as given, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(settings: ProbeSettings, device: str):
    """A fresh copy of the base model from disk, with the probe's ``max_seq_length``."""
    from sentence_transformers import SentenceTransformer

    from analysis.model import DataError
    from analysis.scoring.encode import resolve_model

    path = resolve_model(settings.model)
    try:
        model = SentenceTransformer(path, device=device, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot load sentence-transformers model {path!r}: {exc}", field="model") from exc
    if settings.max_seq_length is not None:
        model.max_seq_length = settings.max_seq_length
    return model


def base_encoder(settings: ProbeSettings, device: str):
    """The base model as an :class:`~analysis.scoring.encode.Encoder` under the probe's token limit;
    its cache identity names the limit when it is not the model's own, so embeddings made
    under another limit are never mixed in."""
    from analysis.scoring.encode import (
        DEFAULT_MODEL_NAME,
        Encoder,
        default_model_path,
        model_identity,
        resolve_model,
    )

    path = resolve_model(settings.model)
    model = load_model(replace(settings, max_seq_length=None), device)
    identity = model_identity(path)
    if settings.max_seq_length is not None and settings.max_seq_length != model.max_seq_length:
        model.max_seq_length = settings.max_seq_length
        identity += f"#max_seq_length={settings.max_seq_length}"
    name = DEFAULT_MODEL_NAME if path == default_model_path() else path
    return Encoder(model=model, name=name, identity=identity)


def fine_tune(rows: pd.DataFrame, *, settings: ProbeSettings, seed: int, device: str,
              progress: Callable[[int, int], None] | None = None,
              cancel: Callable[[], bool] | None = None):
    """Train a fresh base model on ``rows`` (columns anchor, positive, negative_1..k);
    returns ``(model, TrainInfo)``. Raises :class:`ProbeCancelled` when cancelled."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import (
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    started = time.perf_counter()
    set_seed(seed)
    model = load_model(settings, device)
    before = [p.detach().clone() for p in model.parameters()]
    dataset = Dataset.from_pandas(rows.reset_index(drop=True), preserve_index=False)
    watcher = _watcher(progress, cancel)
    with tempfile.TemporaryDirectory(prefix="neglens-probe-") as workdir:
        args = SentenceTransformerTrainingArguments(
            output_dir=workdir, num_train_epochs=settings.epochs,
            max_steps=settings.max_steps or -1, per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate, warmup_steps=settings.warmup_ratio,
            seed=seed, data_seed=seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES, use_cpu=device == "cpu",
            save_strategy="no", eval_strategy="no", logging_strategy="steps", logging_steps=1,
            report_to="none", disable_tqdm=True, dataloader_num_workers=0)
        trainer = _trainer_class(SentenceTransformerTrainer)(
            model=model, args=args, train_dataset=dataset,
            loss=MultipleNegativesRankingLoss(model), callbacks=[watcher])
        for callback in (PrinterCallback, ProgressCallback):
            trainer.remove_callback(callback)
        trainer.train()
    if watcher.cancelled:
        raise ProbeCancelled()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    model.eval()
    return model, TrainInfo(examples=len(rows), steps=int(trainer.state.global_step),
                            first_loss=float(losses[0]) if losses else float("nan"),
                            last_loss=float(losses[-1]) if losses else float("nan"),
                            mean_loss=float(np.mean(losses)) if losses else float("nan"),
                            weight_change=weight_change(before, list(model.parameters())),
                            seconds=time.perf_counter() - started)


def weight_change(before, after) -> float:
    """``||w - w0|| / ||w0||`` over all parameters (0.0 when nothing moved)."""
    diff = sum(float((a.detach().cpu() - b.cpu()).double().pow(2).sum()) for a, b in zip(after, before))
    norm = sum(float(b.cpu().double().pow(2).sum()) for b in before)
    return float(np.sqrt(diff / norm)) if norm else 0.0


def _trainer_class(base):
    """The trainer without its model-card callback: probe models are never saved, and the
    callback would scan the dataset for card statistics and widget examples on every run."""

    class ProbeTrainer(base):
        def add_model_card_callback(self, default_args_dict):
            return None

    return ProbeTrainer


def _watcher(progress, cancel):
    """A ``TrainerCallback`` that reports each finished step and asks the trainer to stop at
    the next step once ``cancel()`` returns True (its ``cancelled`` then says so)."""
    from transformers import TrainerCallback

    class Watcher(TrainerCallback):
        cancelled = False

        def on_train_begin(self, args, state, control, **kwargs):
            if progress:
                progress(0, state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            if progress:
                progress(state.global_step, state.max_steps)
            if cancel is not None and cancel():
                self.cancelled = True
                control.should_training_stop = True
            return control

    return Watcher()
