"""OpenAI CLIP's tokenizer as a Hugging Face ``tokenizer.json``, built from the BPE merges
file that OpenAI CLIP and open_clip ship (``bpe_simple_vocab_16e6.txt.gz``), with the
same ids as open_clip's ``SimpleTokenizer``:

- ids 0..255: the 256 byte symbols in CLIP's ``bytes_to_unicode`` order; 256..511 the same
  with the ``</w>`` end-of-word suffix; then one id per merge (the first 48,894 merges);
  then ``<|startoftext|>`` and ``<|endoftext|>`` (49406, 49407 for the full file);
- normaliser NFC + whitespace squeeze + lowercase, CLIP's split regex, byte-level symbols.

Start and end tokens are added by the runtime (the manifest names their ids), not by a
post-processor. open_clip additionally runs ``ftfy`` on the text, which changes nothing
for plain goal names.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
#: Merges CLIP uses from its merges file (``49152 - 256 - 2``).
CLIP_MERGES = 49152 - 256 - 2
CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte -> printable character table, in CLIP's order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def read_merges(path: Path, limit: int = CLIP_MERGES) -> list[tuple[str, str]]:
    """Merges of a CLIP merges file (``.txt`` or ``.txt.gz``; the first line is a header)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = raw.decode("utf-8").split("\n")[1 : limit + 1]
    merges: list[tuple[str, str]] = []
    for i, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path} line {i}: expected two symbols, got {line!r}")
        merges.append((parts[0], parts[1]))
    return merges


def build_clip_tokenizer(merges: list[tuple[str, str]]) -> Tokenizer:
    """The CLIP BPE tokenizer over ``merges`` (ids as open_clip's ``SimpleTokenizer``)."""
    symbols = list(bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for token in [*symbols, *(s + "</w>" for s in symbols), *("".join(m) for m in merges)]:
        if token in vocab:
            raise ValueError(f"merges produce token {token!r} twice")
        vocab[token] = len(vocab)
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)
    tok = Tokenizer(
        models.BPE(vocab, merges, unk_token=None, end_of_word_suffix="</w>", continuing_subword_prefix="")
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([SOT, EOT])
    return tok


def write_clip_tokenizer(merges_file: Path, out: Path) -> Path:
    """Writes ``tokenizer.json`` for the merges file ``merges_file``; returns ``out``."""
    build_clip_tokenizer(read_merges(merges_file)).save(str(out), pretty=False)
    return out
