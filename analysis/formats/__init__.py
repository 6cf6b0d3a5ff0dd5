"""# Input and output formats

NegLens reads the files people already train with, maps them onto one data model (queries,
documents, and labelled (query, document) pairs with optional rank and score; see
`analysis/model.py`) and writes the training formats back.

```python
from analysis.formats import load, detect_format, write
nset = load("train.jsonl")                      # format detected
nset = load("data/", format="tevatron")         # format forced
write(nset, "out.jsonl", format="flagembedding")
```

On the command line: `python -m analysis info PATH [--format NAME] [--json]`.

## Detection and the override

`detect_format(path)` tries each format's test, highest priority first, and returns the
first name that matches: `pool` (a Parquet file whose schema metadata has the key
`neglens`), `beir` and `smart` (folders), then `flagembedding` and `tevatron` (JSONL whose
first object has `query` + `pos`, or `positive_passages`, or `query_id` +
`positive_document_ids`), then `sentence-transformers` (a table whose columns spell one of
the layouts below). A folder that is none of these is read as a folder of files: the files
whose names end like data (`.jsonl`, `.json`, `.csv`, `.parquet`, `.pq`, each optionally
compressed) are candidates, the format most of the first 64 share is used (a few bytes of
each are read), every candidate in it is loaded (each file's name is the `source` of its
pairs) and the others are listed as ignored, with the reason (20 per reason, then a count).
A folder of more than 256 data files is refused with the reason (join them into one file),
so a folder of 10,000 files is answered in seconds. When nothing matches, the error says what was looked at (size, suffix, the first
record's fields) and which fields the closest format misses ("did you mean ...").

`format=NAME` (`--format NAME`) skips detection. `NAME/VARIANT` also fixes the layout:
`sentence-transformers/triplet`, `tevatron/new`, ...

## sentence-transformers (`mine_hard_negatives` output)

JSONL, CSV, Parquet, or a `datasets` `save_to_disk` folder. The first column is the anchor
(query) and the second the positive, whatever their names; the rest names the layout:

| layout | columns after anchor, positive | with `output_scores=True` |
|---|---|---|
| `triplet` | `negative` | + `scores` = [pos, neg] |
| `n-tuple` | `negative_1` ... `negative_n` | + `scores` = [pos, neg_1, ..., neg_n] |
| `labeled-pair` | `label` (1/0); the second column holds any document | `score` replaces `label` |
| `labeled-list` | `labels`; the second column holds a list of texts | `scores` replaces `labels` |

Scores go to `score`, positives' too. Where the scores replaced the labels, labels follow the
order `mine_hard_negatives` writes: in labeled-list, each row's first text is its positive;
in labeled-pair, the first row of each anchor (option `positives_per_query`, default 1).
CSV cells holding lists may be JSON, a Python list, or the numpy repr `datasets` writes.
Options: `layout`, `split` (of a `DatasetDict` folder), `positives_per_query`.

## FlagEmbedding

JSONL: `query`, `pos` (list), `neg` (list), optional `pos_scores`, `neg_scores` (one score
per text), `prompt`, `type`. `pos` -> label 1, `neg` -> label 0, scores item by item;
`prompt` and `type` are kept per query in `meta["prompt"]` / `meta["type"]`.

## Tevatron

Legacy JSONL: `query_id`, `query`, `positive_passages` / `negative_passages`, lists of
`{docid, title, text}`. New: a training JSONL with `query_id`, `query_text`,
`positive_document_ids`, `negative_document_ids`, and a corpus JSONL of `{docid, text}` (or
`document_text`; optional `title`). Give the new layout a folder holding both files, or the
training file with `corpus=PATH` (or with the corpus beside it). Ids are kept. A passage's
text is `title + " " + text` when the title is not blank (Tevatron's join). No scores.

## BEIR folder

`corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl` (`_id`, `text`),
`qrels/{split}.tsv` (`query-id corpus-id score`, header line; fields split on tabs, as BEIR
does, so ids may hold spaces); each may be compressed (`corpus.jsonl.gz`, ...). Option `split`: default
`test`, else the only split. Qrels score > 0 is a positive, 0 a judged negative (label 0).
Only queries judged in the split are kept (as BEIR does); the whole corpus is. Document text
is `title + " " + text` when the title is not blank. An optional TREC run file
(`qid Q0 docid rank score tag`: option `run=PATH`, or `run.trec` / `*.run` in the folder)
adds every retrieved document with the run's rank and score: a negative unless judged.

## SMART test collections (Cranfield, CISI, Medline, CACM)

A folder with a documents file and a queries file (`.I` records; `.T` and `.W` are read) and
a relevance file, told apart by content and by the usual names. Text is
`title + "\\n" + body` with newlines and runs of spaces collapsed and " ." closed up before
a space or the end; the copy of the title that opens every Cranfield abstract is dropped.
Queries are numbered by position (1..N), as relevance files count them. Relevance: `q 0 d
rel` (TREC style) rel > 0 positive; `q d` / `q d 0 0` positive; `q d code` (Cranfield)
codes 1..4 positive, -1 and 5 judged negatives. Relevance fields split on any run of spaces
and tabs: a published CISI copy's `     1     28\t0\t0.000000` is query 1, document 28.

## Compressed, odd and broken files

- **Compressed input**: `.gz`, `.bz2`, `.xz` and `.zst` around every text format (JSONL,
  JSON, CSV, TSV qrels, SMART files, TREC runs), told by the suffix and by the first bytes
  (gzip data saved as `train.jsonl` still opens). The format is named by the name without the
  compression suffix (`train.jsonl.gz` is JSONL). Decompression streams (memory like the
  plain file's); line numbers in errors count decompressed lines; corrupt or truncated data is
  a `DataError` naming the file, the compression and the line it was reached at. One opener,
  `analysis.formats._open.open_text(path)` / `open_bytes(path)`, serves every reader.
- **Text**: a UTF-8 byte-order mark and CRLF line ends are accepted everywhere (a CSV saved
  by Excel reads as is); a CSV cell may be of any length.
- **Broken files**: every reader answers a set or a `DataError` naming the file (and line or
  row, and field, where known), never another exception; a property-based test feeds each
  registered reader random bytes, truncations and mutations (`tests/formats/test_readers_fuzz.py`).

## Rules every loader follows

- **Ids.** Formats without ids get `text_id(text, "q")` / `text_id(text, "d")`: the prefix
  and the first 16 hex digits of the SHA-1 of the UTF-8 text. The same text is the same
  query or document in every row and every file.
- **`source`** of every pair is the name of the file (or folder) given.
- **Bad rows are skipped, counted and reported** in `nset.skipped` as (file, line, reason):
  malformed JSON, non-UTF-8 bytes (the byte and column are named), missing or misspelled
  fields (the closest present name is suggested), empty texts, empty `pos` lists, score
  lists whose length differs from their texts, unknown ids, and **scores that are NaN,
  infinite, not a number or out of float32 range** (e.g. an integer of 401 digits), named
  with the item and its value (`field "neg_scores": item 2: score is NaN (value nan)`), in
  the columnar Parquet path as in the row path. A pool file's NaN score means unknown, as
  NegLens writes it; its other bad values (text, infinity) are skips with their row. When no pair at all can be read,
  `load` raises `DataError` naming the file, line and field of the first problem; a zero-byte
  file is an error at once.
- **Merges are reported as warnings** in `nset.meta["warnings"]`: the same query on two
  lines (its positives and negatives are merged), the same pair as positive and negative
  (kept as positive), two scores for one pair (the first kept), texts repeated in one list
  (kept once), empty negative lists (the query is kept with its positives).
- **Texts are kept verbatim**: quotes, newlines, unicode, and HTML or script tags are text.

## Writing

`write(nset, path, format=...)` returns the path written, plain unless the path asks for a
compression (`out.jsonl.gz`, `.bz2`, `.xz`, `.zst`). Queries come in table order, each
with its positives and then its negatives (by rank, then descending score). A set holding
several sources needs `source=NAME`. A query the layout cannot hold (no positive, no
negative for a triplet, unequal negative counts for an n-tuple, unknown scores when scores
are asked for) raises `DataError` naming it.

- `sentence-transformers`: options `layout` (`triplet`, `n-tuple`, `labeled-pair`,
  `labeled-list`), `scores` (bool), `hf_dataset`; the file type follows the suffix (`.jsonl`,
  `.csv`, `.parquet`; no suffix writes a `datasets` folder). Columns are `anchor`,
  `positive`, ... as `mine_hard_negatives` names them.
- `flagembedding`: JSONL; `pos_scores` / `neg_scores` for queries whose pairs all have
  scores (option `scores`: True requires them, False leaves them out); `prompt` and `type`
  from `meta`.
- `tevatron`: legacy JSONL; `layout="new"` writes the training file and `corpus.jsonl`
  beside it (or at `corpus=PATH`; a path without suffix is a folder receiving both).

## Adding a format

A module in `analysis/formats/` (name not starting with `_`) that defines
`FORMAT = Format(name=..., detect=..., load=..., write=..., priority=..., fields=...,
files=...)` is discovered with `pkgutil`; nothing else is edited. `detect(path) -> bool`
must be cheap and must not raise; `load(path, *, options...) -> NegativeSet`;
`write(nset, path, *, options...) -> Path` or None. Options are keyword-only parameters:
`load` and `write` check them against the signature and name an unknown one. `fields` lists the field names a record
carries (for "did you mean" hints); `files=False` marks folder formats.
"""

from analysis.formats._builder import text_id
from analysis.formats._dispatch import detect_format, load, write
from analysis.formats._registry import Format, formats

__all__ = ["Format", "detect_format", "formats", "load", "text_id", "write"]
