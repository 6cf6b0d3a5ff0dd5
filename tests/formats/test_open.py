"""analysis.formats._open: compressed input told by suffix and by magic bytes, streamed, with
corrupt or truncated data a located DataError; compressed output only when asked."""

import bz2
import gzip
import json
import lzma

import pytest
import zstandard

from analysis.formats import load, write
from analysis.formats._open import compression_of, open_bytes, open_text, plain_suffix
from analysis.model import DataError

COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
            ".zst": lambda data: zstandard.ZstdCompressor().compress(data)}
NAMES = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}

ROWS = [{"query": "what is a cat", "pos": ["a cat is a small feline"],
         "neg": ["a dog barks", "the sun is a star"], "pos_scores": [0.9],
         "neg_scores": [0.5, 0.1]},
        {"query": "capital of france", "pos": ["paris is the capital of france"],
         "neg": ["berlin is in germany"], "pos_scores": [0.8], "neg_scores": [0.4]}]
TEXT = "".join(json.dumps(r) + "\n" for r in ROWS).encode()


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_every_compression_reads_back_the_same_bytes_and_is_named_by_magic(tmp_path, suffix):
    path = tmp_path / f"train.jsonl{suffix}"
    path.write_bytes(COMPRESS[suffix](TEXT))
    assert compression_of(path) == NAMES[suffix]
    assert plain_suffix(path) == ".jsonl"
    with open_bytes(path) as handle:
        assert b"".join(handle) == TEXT


def test_magic_bytes_win_over_a_misleading_name(tmp_path):
    hidden = tmp_path / "train.jsonl"          # gzip data under a plain name
    hidden.write_bytes(gzip.compress(TEXT))
    plain = tmp_path / "plain.jsonl.gz"        # plain text under a .gz name
    plain.write_bytes(TEXT)
    assert compression_of(hidden) == "gzip" and compression_of(plain) is None
    reference = load(tmp_path / "train.jsonl")
    assert load(plain).pairs["score"].tolist() == reference.pairs["score"].tolist()
    assert len(reference.pairs) == 5


def test_open_text_drops_a_bom_and_keeps_crlf_for_the_caller(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfanchor,positive\r\na,b\r\n"))
    with open_text(path, newline="") as handle:
        assert handle.read() == "anchor,positive\r\na,b\r\n"


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_truncated_compressed_file_is_a_data_error_naming_file_and_compression(tmp_path, suffix):
    many = TEXT * 2000
    data = COMPRESS[suffix](many)
    path = tmp_path / f"train.jsonl{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as err:
        load(path)
    assert err.value.file == str(path)
    assert NAMES[suffix] in err.value.reason and "truncated" in err.value.reason
    # the line is counted in the decompressed text: past the lines that were read
    assert err.value.line is None or err.value.line >= 1


def test_corrupt_gzip_names_the_decompressed_line(tmp_path):
    many = b"".join(json.dumps({**ROWS[0], "query": f"query {i}"}).encode() + b"\n"
                    for i in range(20000))
    data = bytearray(gzip.compress(many))
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as err:
        load(path)
    assert err.value.file == str(path) and "gzip" in err.value.reason
    assert err.value.line is not None and err.value.line > 1000   # the lines before it were read


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst", ".bz2", ".xz"])
def test_writing_compresses_only_when_the_suffix_asks(tmp_path, suffix):
    nset = load(_plain(tmp_path))
    out = write(nset, tmp_path / "out" / f"fe.jsonl{suffix}", format="flagembedding")
    assert compression_of(out) == (NAMES.get(suffix))
    back = load(out)
    assert back.pairs["score"].tolist() == nset.pairs["score"].tolist()
    assert sorted(back.queries["text"]) == sorted(nset.queries["text"])


def _plain(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_bytes(TEXT)
    return path
