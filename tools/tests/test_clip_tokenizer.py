"""The CLIP tokenizer.json builder on a small merges file: id layout and BPE merging
worked out by hand (open_clip's own vocabulary is checked in the torch tests)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cow_tools.clip_tokenizer import EOT, SOT, build_clip_tokenizer, bytes_to_unicode, read_merges


def _merges_file(tmp_path: Path) -> Path:
    lines = ["#version: 0.2", "m u", "mu g</w>", "p h"]
    path = tmp_path / "merges.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def test_byte_table_has_clip_order() -> None:
    table = bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert list(table)[:2] == [ord("!"), ord('"')]  # printable ASCII first
    assert table[ord(" ")] == chr(256 + 32)  # space is the 33rd unprintable byte


def test_ids_follow_open_clip_layout(tmp_path: Path) -> None:
    merges = read_merges(_merges_file(tmp_path))
    assert merges == [("m", "u"), ("mu", "g</w>"), ("p", "h")]
    tok = build_clip_tokenizer(merges)
    # 512 byte symbols, then one id per merge, then SOT and EOT
    assert tok.token_to_id("mu") == 512
    assert tok.token_to_id("mug</w>") == 513
    assert tok.token_to_id(SOT) == 515 and tok.token_to_id(EOT) == 516
    table = bytes_to_unicode()
    # "A  Mug" -> lowercase, squeeze spaces; "a" is one char: byte symbol 'a</w>' (256 + index of 'a')
    ids = tok.encode("A  Mug", add_special_tokens=False).ids
    a_index = list(table).index(ord("a"))
    assert ids == [256 + a_index, 513]
    # "ph" merges p+h but lacks an end-of-word merge: 'ph' is not final, so p, h</w>
    ids = tok.encode("ph", add_special_tokens=False).ids
    assert ids == [list(table).index(ord("p")), 256 + list(table).index(ord("h"))]


def test_malformed_merge_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("#version\na b c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected two symbols"):
        read_merges(bad)
