"""The tokenizer of the embedded-world model: a lower-casing word-level vocabulary over the
caption words, the prompt templates and the background prompts, built with ``tokenizers``.

Ids: ``[PAD]`` = 0 (OpenCLIP pads with 0), ``[UNK]`` = 1, the words in sorted order, then
``<|startoftext|>`` and ``<|endoftext|>``; EOT is the largest id, as the exported text graph
finds the EOT position with argmax over ids. A larger vocabulary shifts the ids, so a model
fine-tuned with one (new room words, say) takes its token embedding over word by word
(:func:`carry_embedding`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordLevel

SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
PAD = "[PAD]"
UNK = "[UNK]"

#: Words any prompt of the project may use besides the dataset's captions: CoW's templates,
#: the dense localizer's background prompts, colours and materials.
BASE_WORDS = (
    "a an the of photo picture image this that in on with my one big small room "
    "background wall floor ceiling door window furniture table shelf sofa bed counter "
    "red green blue yellow orange purple pink brown black white grey gray silver beige teal "
    "plain striped checkered speckled . , tv"
)

_WORD = re.compile(r"\w+|[^\w\s]+")

#: CoW's single prompt template (``agent/src/perception/templates.rs``).
TEMPLATE = "a photo of a {}."

#: The context template: a view of a room that holds the goal, seen or not (the agent's
#: ``agent.clip.value_prompt`` default, ``agent/src/config.rs``).
CONTEXT_TEMPLATE = "a room with a {}."


def article(word: str) -> str:
    """``"an"`` before a word beginning with a vowel letter, else ``"a"`` (the Rust
    ``sim_bridge::dataset::article``)."""
    return "an" if word[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def fill(template: str, word: str) -> str:
    """``template`` with its first ``{}`` replaced by ``word``; a word "a" right before the slot
    takes the word's article, as the Rust ``templates::fill`` does ("a photo of an apple.")."""
    slot = template.find("{}")
    if slot < 0:
        return template
    head, tail = template[:slot], template[slot + 2 :]
    if head.endswith("a ") and (len(head) == 2 or head[-3] == " "):
        head = head[:-2] + article(word) + " "
    return head + word + tail


def prompt(word: str) -> str:
    """CoW's single template filled with ``word`` (as the Rust localizers do)."""
    return fill(TEMPLATE, word)


def context_prompt(word: str) -> str:
    """The context template filled with ``word`` ("a room with an apple.")."""
    return fill(CONTEXT_TEMPLATE, word)


def words_of(texts: Iterable[str]) -> set[str]:
    """The lower-cased words and punctuation runs of ``texts`` (as the tokenizer splits them)."""
    out: set[str] = set()
    for t in texts:
        out.update(_WORD.findall(t.lower().replace("{}", " ")))
    return out


def build_tokenizer(texts: Iterable[str]) -> Tokenizer:
    """A word-level tokenizer knowing every word of ``texts`` and of :data:`BASE_WORDS`."""
    words = sorted(words_of(texts) | set(BASE_WORDS.split()))
    vocab = {PAD: 0, UNK: 1}
    for w in words:
        vocab[w] = len(vocab)
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)
    tok = Tokenizer(WordLevel(vocab, unk_token=UNK))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([SOT, EOT, PAD])
    return tok


def read_templates(path: Path) -> list[str]:
    """Prompt templates, one per line (``{}`` = the goal), blank lines skipped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def encode(tok: Tokenizer, text: str, context_length: int) -> list[int]:
    """OpenCLIP's layout of ``text``: ``[SOT, tokens..., EOT, 0...]``, truncated with EOT kept
    (the same as the Rust ``ClipTokenizer::encode_into``)."""
    sot, eot = tok.token_to_id(SOT), tok.token_to_id(EOT)
    if sot is None or eot is None:
        raise ValueError(f"tokenizer lacks {SOT} or {EOT}")
    ids = tok.encode(text, add_special_tokens=False).ids[: context_length - 2]
    row = [sot, *ids, eot]
    return row + [0] * (context_length - len(row))


def save(tok: Tokenizer, path: Path) -> None:
    """Writes ``tokenizer.json`` (pretty-printed, so diffs stay readable)."""
    path.write_text(json.dumps(json.loads(tok.to_str()), indent=1) + "\n", encoding="utf-8")


def carry_embedding(
    rows: NDArray[np.float32], old: Tokenizer, new: Tokenizer
) -> tuple[NDArray[np.float32], list[str]]:
    """The token-embedding rows of ``new``'s ids from ``rows`` (indexed by ``old``'s ids): a
    token both know keeps its row; a token only ``new`` knows starts from the mean of the
    rows of ``old``'s words (the special tokens left out). Returns the rows and the new tokens
    in id order."""
    old_vocab = old.get_vocab(with_added_tokens=True)
    new_vocab = new.get_vocab(with_added_tokens=True)
    if rows.shape[0] <= max(old_vocab.values()):
        top = max(old_vocab.values())
        raise ValueError(f"{rows.shape[0]} embedding rows for a tokenizer with ids up to {top}")
    special = {PAD, UNK, SOT, EOT}
    mean = rows[[i for t, i in old_vocab.items() if t not in special]].mean(axis=0)
    out = np.empty((max(new_vocab.values()) + 1, rows.shape[1]), dtype=np.float32)
    out[:] = mean
    fresh = []
    for token, i in sorted(new_vocab.items(), key=lambda kv: kv[1]):
        if token in old_vocab:
            out[i] = rows[old_vocab[token]]
        else:
            fresh.append(token)
    return out, fresh


def words_of_tokenizer(tok: Tokenizer) -> list[str]:
    """The words of a tokenizer built by :func:`build_tokenizer` (special tokens left out)."""
    return sorted(t for t in tok.get_vocab(with_added_tokens=True) if t not in (PAD, UNK, SOT, EOT))
