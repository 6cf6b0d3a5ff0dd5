"""SMART test collections: the real Cranfield folder and CISI / Medline shaped fixtures."""

from __future__ import annotations

import re

import pytest

from analysis.formats import detect_format, load
from analysis.model import DataError


def _cranfield_truth(folder):
    """Counts straight from the raw files, as ../shared/data/README.md describes them."""
    docs = re.findall(r"^\.I (\d+)", (folder / "cran.all.1400").read_text(), flags=re.M)
    queries = re.findall(r"^\.I (\d+)", (folder / "cran.qry").read_text(), flags=re.M)
    positives = negatives = 0
    for line in (folder / "cranqrel").read_text().splitlines():
        if not line.split():
            continue
        q, d, code = line.split()
        known = 1 <= int(q) <= len(queries) and d in set(docs)
        positives += known and code in {"1", "2", "3", "4"}
        negatives += known and code == "-1"
    return len(docs), len(queries), positives, negatives


def test_cranfield_counts_match_the_raw_files(cranfield_dir):
    assert detect_format(cranfield_dir) == "smart"
    nset = load(cranfield_dir)
    assert (len(nset.docs), len(nset.queries), nset.num_positives,
            nset.num_negatives) == _cranfield_truth(cranfield_dir) == (1400, 225, 1612, 225)
    assert nset.skipped == []
    assert nset.meta["files"]["used"] == ["cran.all.1400", "cran.qry", "cranqrel"]
    assert nset.meta["files"]["ignored"][0]["file"] == "cranqrel.readme"
    assert [w["reason"] for w in nset.meta["warnings"]] == ["document 471 has no text",
                                                          "document 995 has no text"]


def test_cranfield_text_rules(cranfield_dir):
    nset = load(cranfield_dir)
    docs, queries = nset.doc_text(), nset.query_text()
    title, body = docs["1"].split("\n")
    assert title == "experimental investigation of the aerodynamics of a wing in a slipstream."
    assert body.startswith("an experimental study of a wing in a propeller slipstream was made")
    assert body.endswith("for the specific configuration of the experiment.")
    assert "  " not in body and " ." not in body
    assert "composition of .78847 n and .21153 o." in docs["259"]  # decimals keep their space
    # queries are numbered by position: the third query is ".I 004" in cran.qry
    assert queries["3"] == "what problems of heat conduction in composite slabs have been solved so far."
    assert docs["471"] == ""


CISI_ALL = """.I 1
.T
Libraries and  their
 readers .
.A
Smith, J.
.W
Libraries and their readers . Public libraries lend
books to readers .
.X
1\t5\t1
.I 2
.T
Catalogues .
.W
Card catalogues list books by 3 .5 inch cards .
.I 3
.W
Indexing with thesauri .
"""
CISI_QRY = """.I 1
.W
How do readers use libraries ?
.I 2
.T
Catalogues
.A
Doe
.W
What do catalogues list ?
"""
CISI_REL = "     1     1 0       0.000000\n     2     2 0       0.000000\n     2     9 0 0.0\n"


@pytest.fixture
def cisi(tmp_path):
    folder = tmp_path / "cisi"
    folder.mkdir()
    (folder / "CISI.ALL").write_text(CISI_ALL)
    (folder / "CISI.QRY").write_text(CISI_QRY)
    (folder / "CISI.REL").write_text(CISI_REL)
    return folder


def test_cisi_shaped_folder(cisi):
    nset = load(cisi)
    docs = nset.doc_text()
    assert docs["1"] == "Libraries and their readers.\nPublic libraries lend books to readers."
    assert docs["2"] == "Catalogues.\nCard catalogues list books by 3 .5 inch cards."
    assert docs["3"] == "Indexing with thesauri."
    assert nset.query_text()["2"] == "Catalogues\nWhat do catalogues list ?"
    assert sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                      nset.pairs["label"].tolist())) == [("1", "1", 1), ("2", "2", 1)]
    [skip] = nset.skipped
    assert (skip.line, skip.reason) == (3, 'field "document": document 9 is not in the documents file')
    assert nset.meta["relevance"] == "every listed pair is positive"


def test_medline_trec_style_relevance_and_extra_files(cisi):
    (cisi / "CISI.REL").unlink()
    (cisi / "MED.REL").write_text("1 0 1 1\n1 0 3 0\n2 0 2 1\n")
    (cisi / "old.rel.bak").write_text("1 1\n")
    (cisi / "README").write_text("The CISI collection.\n")
    nset = load(cisi)
    assert sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                      nset.pairs["label"].tolist())) == [("1", "1", 1), ("1", "3", 0), ("2", "2", 1)]
    assert nset.meta["files"]["used"] == ["CISI.ALL", "CISI.QRY", "MED.REL"]
    assert {i["file"]: i["reason"] for i in nset.meta["files"]["ignored"]} == {
        "README": "not a SMART file (neither .I records nor numeric relevance lines)",
        "old.rel.bak": "another relevance file"}


def test_queries_are_numbered_by_position_and_codes_follow_cleverdon(tmp_path):
    folder = tmp_path / "cran"
    folder.mkdir()
    (folder / "cran.all.1400").write_text(".I 1\n.T\nwing .\n.W\nwing . lift .\n.I 2\n.W\ntail .\n"
                                          ".I 3\n.W\nfin .\n")
    (folder / "cran.qry").write_text(".I 001\n.W\nwhat lifts .\n.I 004\n.W\nwhat steadies .\n")
    (folder / "cranqrel").write_text("1 1 2\n2 2 4\n2 3 -1\n1 3 5\n2 1 7\n3 1 1\n")
    nset = load(folder)
    assert nset.doc_text()["1"] == "wing.\nlift."
    assert list(nset.queries["qid"]) == ["1", "2"]
    assert sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                      nset.pairs["label"].tolist())) == [("1", "1", 1), ("1", "3", 0),
                                                         ("2", "2", 1), ("2", "3", 0)]
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (5, 'field "code": relevance code 7 is not 1..4, -1 or 5'),
        (6, 'field "query": query 3 is not among the 2 queries')]


def test_non_utf8_record_is_skipped_with_its_line(cisi):
    (cisi / "CISI.ALL").write_bytes(CISI_ALL.encode().replace(b"Indexing", b"Ind\xe9xing"))
    nset = load(cisi)
    assert "3" not in set(nset.docs["did"])
    [skip] = [s for s in nset.skipped if s.file.endswith("CISI.ALL")]
    assert (skip.line, skip.reason) == (19, "record .I 3: not valid UTF-8: byte 0xe9 at column 4")


def test_folder_missing_a_relevance_file_is_an_error(cisi):
    (cisi / "CISI.REL").unlink()
    with pytest.raises(DataError, match="no known format matches this folder"):
        detect_format(cisi)
    with pytest.raises(DataError, match="no SMART relevance file found"):
        load(cisi, format="smart")
