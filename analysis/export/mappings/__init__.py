"""From a settings file to the miners people already run, saying where they differ.

Three targets, one module each, each read from the target's own source: ``sbert``
(sentence-transformers ``util.mine_hard_negatives``), ``flagembedding`` (FlagEmbedding's
``hn_mine``) and ``simans`` (the SimANS release's ``--a``/``--b``); ``base`` holds the
:class:`Mapping` they all return.

``mapping(settings, target)`` returns a :class:`Mapping`: the arguments, a copyable snippet,
whether the target reproduces NegLens's negatives (``exact``: same rows for ``top`` sampling;
same candidates and distribution, other random draws, for ``random``), the conditions that
equality needs, and every known difference. A strategy with no counterpart gets
``supported=False`` and the closest thing, never a pretend equivalent.
"""

from __future__ import annotations

from analysis.export.mappings.base import Mapping
from analysis.export.mappings.flagembedding import (
    to_flagembedding,
    write_candidate_pool,
)
from analysis.export.mappings.sbert import (
    sentence_transformers_inputs,
    to_sentence_transformers,
)
from analysis.export.mappings.simans import to_simans
from analysis.export.settings import Settings
from analysis.model import DataError

TARGETS = ("sentence-transformers", "flagembedding", "simans")
__all__ = ["TARGETS", "Mapping", "mapping", "sentence_transformers_inputs", "to_flagembedding",
           "to_sentence_transformers", "to_simans", "write_candidate_pool"]


def mapping(settings: Settings, target: str) -> Mapping:
    """The settings' strategy for ``target`` (one of :data:`TARGETS`)."""
    makers = {"sentence-transformers": to_sentence_transformers,
              "flagembedding": to_flagembedding, "simans": to_simans}
    if target not in makers:
        raise DataError(f"unknown target {target!r}; targets: {', '.join(TARGETS)}", field="to")
    return makers[target](settings)
