"""NegLens analysis library: load -> score -> pool -> sample -> measure -> export.

Pure Python; never imports streamlit. Heavy dependencies (torch, sentence-transformers,
umap) are imported lazily inside the functions that need them.
"""

from analysis.model import RANK_UNKNOWN, DataError, NegativeSet, Skip

__all__ = ["DataError", "NegativeSet", "RANK_UNKNOWN", "Skip"]
