"""The columnar core: an input's pairs as memory-mapped Arrow columns, texts left on disk.

``open_columnar(path)`` gives the same ``NegativeSet`` as ``analysis.formats.load(path)``
(same ids, order, skipped rows and warnings) from a cache entry written once per input
(``store``): numbers as numpy views of a memory map (18 bytes a pair), ids and texts as Arrow
strings in the map, read only where a page shows, encodes or exports them.

Building the entry streams where it can: a sentence-transformers triplet or n-tuple table
(Parquet, JSON Lines, CSV) is read in bounded batches (``sources``) and numbered as it goes
(``dictionary``, ``build``), so a file larger than memory is read once. Every other input is
loaded by its reader and then written as an entry (not streamed: its reader holds it whole
once), and pools, already columnar Parquet, are loaded as they are. Without a writable cache
folder the input is loaded by its reader.
"""

from analysis.formats.columnar.opening import open_columnar

__all__ = ["open_columnar"]
