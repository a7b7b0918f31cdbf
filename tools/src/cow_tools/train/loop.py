"""``cow-train``: trains the embedded-world CLIP model on CPU and exports it into a bundle.

Recipe (one step = one batch of object crops and one batch of frames):

- global caption loss: crops against the distinct captions of the batch ("a red mug",
  "a striped vase", "a photo of a mug."), symmetric InfoNCE (a caption shared by several
  crops has all of them as positives), learned temperature;
- patch-text loss: every labelled patch of a frame (MaskCLIP patch path, see
  :mod:`cow_tools.train.model`) against the prompts of all semantic classes
  ("a photo of a wall.", "a photo of a mug.", ...), cross-entropy, object patches
  weighted ``object_weight``;
- dense-goal loss: the dense localizer's own decision, for each of the goal categories:
  the softmax (scale 100) of the patch's similarity to the goal prompt against the
  background prompts, binary cross-entropy against "the patch shows this goal";
- room loss (frames of world version 2, which name the room the camera stands in): frame
  image embeddings against the batch's distinct room captions ("a kitchen" or, for the
  whole batch, "a photo of a kitchen."), symmetric InfoNCE as the caption loss.

Training runs in stages: a later stage starts from an earlier one's ``weights.npz``, or from
an exported bundle folder (``--init``), with its own schedule (the model card lists the
stages of the shipped model). A vocabulary that gained words (the room words) keeps the
rows of the words it had and starts the new ones from the mean row.

Subcommands: ``cow-train train`` (writes ``weights.npz``, ``model.json``, ``tokenizer.json``,
``train_log.json`` and, with ``--bundle``, the exported bundle), ``cow-train thresholds``
(writes calibrated thresholds into a bundle's manifest).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (PyTorch convention)
from tokenizers import Tokenizer

from cow_tools.bundle import OPENAI_MEAN, OPENAI_STD, export_bundle
from cow_tools.clip_config import ClipConfig
from cow_tools.train import data as ds
from cow_tools.train import model as mdl
from cow_tools.train import schedule, vocab
from cow_tools.train.from_bundle import load_bundle_state
from cow_tools.train.metrics import roc_auc
from cow_tools.train.vocab import prompt

BACKGROUND_PROMPTS = ["background", "wall", "floor", "ceiling", "door", "window", "furniture", "room"]
DENSE_SCALE = 100.0


class Trainer:
    """Holds the model, the data and the text ids of one training run."""

    def __init__(self, args: argparse.Namespace, data: ds.Dataset, tok: Any, cfg: dict[str, Any]) -> None:
        self.args = args
        self.data = data
        self.tok = tok
        self.cfg = cfg
        self.model = mdl.build(cfg)
        self.ctx = cfg["text_cfg"]["context_length"]
        self.classes = sorted(data.class_words)
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.goal_words = sorted({w for w, g in zip(data.crops.words, data.crops.is_goal, strict=True) if g})
        self.class_ids = self.ids([prompt(data.class_words[c]) for c in self.classes])
        self.goal_ids = self.ids([prompt(w) for w in self.goal_words])
        self.bg_ids = self.ids([prompt(w) for w in BACKGROUND_PROMPTS])
        self.room_words = sorted({r for r in data.frames.rooms if r})
        self.context_ids = self.ids([vocab.context_prompt(w) for w in self.goal_words])
        self.goal_index = {w: g for g, w in enumerate(self.goal_words)}
        word_to_class = {data.class_words[c]: c for c in self.classes}
        self.goal_classes = torch.tensor([word_to_class[w] for w in self.goal_words])
        self.object_classes = torch.tensor(sorted({word_to_class[w] for w in data.crops.words}))
        self.mean = torch.tensor(OPENAI_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(OPENAI_STD).view(1, 3, 1, 1)
        lut = torch.full((max(self.classes) + 2,), -1, dtype=torch.long)
        for c, i in self.class_index.items():
            lut[c] = i
        self.lut = lut

    def ids(self, texts: list[str]) -> torch.Tensor:
        """Token ids ``[N, context]`` of ``texts``."""
        return torch.tensor([vocab.encode(self.tok, t, self.ctx) for t in texts], dtype=torch.long)

    def pixels(self, images: np.ndarray, flip: np.ndarray) -> torch.Tensor:
        """Normalised ``[B, 3, S, S]`` input of uint8 ``[B, S, S, 3]`` images, flipped where asked."""
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
        size = self.cfg["vision_cfg"]["image_size"]
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0.0, 1.0)
        if flip.any():
            f = torch.from_numpy(flip)
            x[f] = x[f].flip(-1)
        return (x - self.mean) / self.std

    def caption_nce(self, image: torch.Tensor, caps: list[str]) -> torch.Tensor:
        """Symmetric InfoNCE of unit image embeddings ``[B, D]`` against the distinct captions
        among ``caps`` (one per image; a caption shared by several images has all of them as
        positives)."""
        distinct = sorted(set(caps))
        target = torch.tensor([distinct.index(c) for c in caps])
        text = mdl.encode_text(self.model, self.ids(distinct))
        scale = self.model.logit_scale.exp().clamp(max=100.0)
        logits = scale * image @ text.T  # [B, U]
        i2t = F.cross_entropy(logits, target)
        pos = F.one_hot(target, len(distinct)).T.bool()  # [U, B]
        log_p = logits.T.log_softmax(dim=-1)
        t2i = -(log_p.masked_fill(~pos, 0.0).sum(-1) / pos.sum(-1)).mean()
        return (i2t + t2i) / 2

    def crop_loss(self, rng: np.random.Generator) -> torch.Tensor:
        """Symmetric InfoNCE of crops against the distinct captions of the batch."""
        crops = self.data.crops
        idx = rng.choice(len(crops.images), size=self.args.batch_crops, replace=False)
        caps = [crops.captions[i][rng.integers(len(crops.captions[i]))] for i in idx]
        image, _ = mdl.encode_image_and_patches(
            self.model, self.pixels(crops.images[idx], rng.random(len(idx)) < 0.5), dense=False
        )
        return self.caption_nce(image, caps)

    def frame_losses(
        self, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Patch-text cross-entropy, the dense-goal binary cross-entropy, the room loss and the
        context loss (both 0 without room captions or contents) over a frame batch."""
        frames = self.data.frames
        idx = rng.choice(len(frames.images), size=self.args.batch_frames, replace=False)
        flip = rng.random(len(idx)) < 0.5
        grid = math.isqrt(frames.labels.shape[1])
        labels = frames.labels[idx].reshape(len(idx), grid, grid).copy()
        labels[flip] = labels[flip][:, :, ::-1]
        labels_t = torch.from_numpy(labels.reshape(len(idx), -1).copy())
        image, patches = mdl.encode_image_and_patches(
            self.model, self.pixels(frames.images[idx], flip), dense=True
        )
        texts = mdl.encode_text(self.model, torch.cat([self.class_ids, self.bg_ids]))
        n_cls = len(self.classes)
        class_text, bg_text = texts[:n_cls], texts[n_cls:]
        p = patches.reshape(-1, patches.shape[-1])
        lab = labels_t.reshape(-1)
        valid = lab >= 0
        target = self.lut[lab.clamp(min=0)]
        scale = self.model.logit_scale.exp().clamp(max=100.0)
        logits = scale * p @ class_text.T
        is_obj = torch.isin(lab, self.object_classes)
        weight = torch.where(is_obj, self.args.object_weight, 1.0) * valid
        ce = F.cross_entropy(logits, target.clamp(min=0), reduction="none")
        patch_loss = (ce * weight).sum() / weight.sum().clamp(min=1.0)
        # dense-goal: goal prompt vs background prompts, scale 100, per goal category
        goal_text = class_text[self.lut[self.goal_classes]]  # [G, D]
        g = p @ goal_text.T  # [P, G]
        b = p @ bg_text.T  # [P, NB]
        lse_b = torch.logsumexp(DENSE_SCALE * b, dim=-1, keepdim=True)
        log_p = DENSE_SCALE * g - torch.logaddexp(DENSE_SCALE * g, lse_b)
        log_not = lse_b - torch.logaddexp(DENSE_SCALE * g, lse_b)
        positive = (lab[:, None] == self.goal_classes[None, :]).float()
        bce = -(self.args.positive_weight * positive * log_p + (1 - positive) * log_not)
        dense_loss = (bce * valid[:, None]).sum() / (valid.sum().clamp(min=1) * len(self.goal_words))
        return patch_loss, dense_loss, self.room_loss(rng, idx, image), self.context_loss(idx, image)

    def room_loss(self, rng: np.random.Generator, idx: np.ndarray, image: torch.Tensor) -> torch.Tensor:
        """InfoNCE of the frames ``idx`` (image embeddings ``image``) that have room captions
        against the batch's distinct room captions, one caption template for the whole batch
        (so two kitchens never meet as "a kitchen" against "a photo of a kitchen."); 0 when
        no frame has captions (world version 1: the random stream is then left untouched)."""
        caps_of = self.data.frames.captions
        have = [k for k, i in enumerate(idx) if i < len(caps_of) and caps_of[i]]
        if not have:
            return image.new_zeros(())
        which = int(rng.integers(min(len(caps_of[idx[k]]) for k in have)))
        caps = [caps_of[idx[k]][which] for k in have]
        return self.caption_nce(image[have], caps)

    def context_loss(self, idx: np.ndarray, image: torch.Tensor) -> torch.Tensor:
        """Multi-positive InfoNCE of the frames ``idx`` (image embeddings ``image``) that name
        their room's contents against the context prompts of every goal ("a room with a mug."):
        a frame's positives are the goals standing in its room, seen or not, so that the view
        of a room says what the room is likely to hold (the value map's score). Both
        directions: frame to prompts (log of the positives' summed probability) and prompt to
        the batch's frames (mean log probability of its positives, prompts with at least one
        positive and one negative). 0 when no frame names contents (world version 1)."""
        contents = self.data.frames.contents
        have = [k for k, i in enumerate(idx) if i < len(contents) and contents[i]]
        if not have:
            return image.new_zeros(())
        pos = torch.zeros(len(have), len(self.goal_words), dtype=torch.bool)
        for row, k in enumerate(have):
            for w in contents[idx[k]]:
                if w in self.goal_index:
                    pos[row, self.goal_index[w]] = True
        text = mdl.encode_text(self.model, self.context_ids)
        scale = self.model.logit_scale.exp().clamp(max=100.0)
        return multi_positive_nce(scale * image[have] @ text.T, pos)

    def context_auc(self, frames: ds.FrameSet) -> float | None:
        """Mean over goals of the ROC AUC of the context score (frame image embedding against
        the goal's context prompt) between frames whose room holds the goal and frames whose
        room does not; None without contents."""
        with torch.no_grad():
            was = self.model.training
            self.model.eval()
            try:
                return self._context_auc(frames)
            finally:
                self.model.train(was)

    def _context_auc(self, frames: ds.FrameSet) -> float | None:
        keep = [i for i in range(len(frames.contents)) if frames.rooms[i] is not None]
        if not keep:
            return None
        text = mdl.encode_text(self.model, self.context_ids)
        scores = []
        for s in range(0, len(keep), 64):
            part = np.array(keep[s : s + 64])
            image, _ = mdl.encode_image_and_patches(
                self.model, self.pixels(frames.images[part], np.zeros(len(part), dtype=bool)), dense=False
            )
            scores.append((image @ text.T).numpy())
        sim = np.concatenate(scores)
        aucs = []
        for g, w in enumerate(self.goal_words):
            has = np.array([w in frames.contents[i] for i in keep])
            on, off = sim[has, g], sim[~has, g]
            if len(on) and len(off):
                aucs.append(roc_auc(on, off))
        return float(np.mean(aucs)) if aucs else None

    def zero_shot(self, crops: ds.CropSet) -> float:
        """Accuracy of classifying the goal crops among the goal prompts."""
        with torch.no_grad():
            return self._zero_shot(crops)

    def _zero_shot(self, crops: ds.CropSet) -> float:
        self.model.eval()
        text = mdl.encode_text(self.model, self.goal_ids)
        keep = [i for i, g in enumerate(crops.is_goal) if g]
        right = 0
        for s in range(0, len(keep), 256):
            part = keep[s : s + 256]
            image, _ = mdl.encode_image_and_patches(
                self.model, self.pixels(crops.images[part], np.zeros(len(part), dtype=bool)), dense=False
            )
            pred = (image @ text.T).argmax(-1).tolist()
            right += sum(self.goal_words[p] == crops.words[i] for p, i in zip(pred, part, strict=True))
        self.model.train()
        return float(right / max(len(keep), 1))

    def room_zero_shot(self, frames: ds.FrameSet) -> float | None:
        """Accuracy of classifying the frames that name a room among the prompts of the
        training rooms ("a photo of a kitchen."); None without such frames."""
        words = sorted(self.room_words)
        keep = [i for i, r in enumerate(frames.rooms) if r in words]
        if not keep:
            return None
        with torch.no_grad():
            self.model.eval()
            text = mdl.encode_text(self.model, self.ids([prompt(w) for w in words]))
            right = 0
            for s in range(0, len(keep), 128):
                part = keep[s : s + 128]
                image, _ = mdl.encode_image_and_patches(
                    self.model, self.pixels(frames.images[part], np.zeros(len(part), dtype=bool)), dense=False
                )
                pred = (image @ text.T).argmax(-1).tolist()
                right += sum(words[p] == frames.rooms[i] for p, i in zip(pred, part, strict=True))
            self.model.train()
        return float(right / len(keep))

    def run(self, val: ds.Dataset | None) -> dict[str, Any]:
        """Trains for ``args.steps`` steps (or until ``args.max_minutes``); returns the log."""
        a = self.args
        opt = torch.optim.AdamW(self.model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
        budget_s = a.max_minutes * 60.0
        rng = np.random.default_rng(a.seed)
        log: dict[str, Any] = {"history": []}
        start = time.monotonic()
        self.model.train()
        step = 0
        for step in range(a.steps):
            elapsed = time.monotonic() - start
            frac = schedule.progress(step, a.steps, elapsed, budget_s)
            if frac >= 1.0:
                print(f"stopping at step {step}: time budget of {a.max_minutes} min used", flush=True)
                step -= 1
                break
            for group in opt.param_groups:
                group["lr"] = a.lr * schedule.lr_factor(frac, a.warmup)
            lc = self.crop_loss(rng)
            lp, ld, lr, lx = self.frame_losses(rng)
            loss = lc + a.patch_weight * lp + a.dense_weight * ld + a.room_weight * lr
            loss = loss + a.context_weight * lx
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            opt.step()
            elapsed = time.monotonic() - start
            if step % a.log_every == 0 or step == a.steps - 1:
                entry = {
                    "step": step,
                    "minutes": round(elapsed / 60, 2),
                    "crop": round(lc.item(), 4),
                    "patch": round(lp.item(), 4),
                    "dense": round(ld.item(), 4),
                    "room": round(lr.item(), 4),
                    "context": round(lx.item(), 4),
                    "logit_scale": round(float(self.model.logit_scale.detach().exp()), 2),
                }
                if val is not None and step % (a.log_every * 5) == 0:
                    entry["val_zero_shot"] = round(self.zero_shot(val.crops), 4)
                    room = self.room_zero_shot(val.frames)
                    if room is not None:
                        entry["val_room"] = round(room, 4)
                    auc = self.context_auc(val.frames)
                    if auc is not None:
                        entry["val_context_auc"] = round(auc, 4)
                log["history"].append(entry)
                print(json.dumps(entry), flush=True)
            if a.save_every and step > 0 and step % a.save_every == 0:
                save_weights(self.model, a.out / "weights.npz")
        log["steps_done"] = step + 1
        log["minutes"] = round((time.monotonic() - start) / 60, 2)
        if val is not None:
            log["val_zero_shot"] = self.zero_shot(val.crops)
            log["val_room"] = self.room_zero_shot(val.frames)
            log["val_context_auc"] = self.context_auc(val.frames)
        return log


def multi_positive_nce(logits: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of image-text ``logits`` ``[B, G]`` where ``pos`` ``[B, G]`` marks
    every matching pair (several per row and column): image to texts is minus the log of the
    positives' summed probability (rows with a positive), text to images the mean log
    probability of its positives (columns with a positive and a negative); their mean. Without
    such a column, the image-to-text term alone; without a positive at all, 0."""
    rows = pos.any(-1)
    if not rows.any():
        return logits.new_zeros(())
    i2t = -(logits.masked_fill(~pos, float("-inf")).logsumexp(-1) - logits.logsumexp(-1))[rows].mean()
    cols = pos.any(0) & (~pos).any(0)
    if not cols.any():
        return i2t
    log_p = logits.T.log_softmax(-1)  # [G, B]
    pos_t = pos.T
    t2i = -(log_p.masked_fill(~pos_t, 0.0).sum(-1) / pos_t.sum(-1).clamp(min=1))[cols].mean()
    return (i2t + t2i) / 2


def save_weights(model: Any, path: Path) -> dict[str, np.ndarray]:
    """Writes the model's state dict as ``.npz`` atomically (temporary file, then rename), so
    a checkpoint being read while training goes on is always whole; returns the arrays."""
    params = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **params)
    tmp.replace(path)
    return params


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cow-train", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on a `cow sim dataset` folder and export")
    t.add_argument("--data", type=Path, required=True, help="train dataset folder")
    t.add_argument("--val", type=Path, default=None, help="val dataset folder (zero-shot accuracy)")
    t.add_argument("--out", type=Path, required=True, help="work folder for weights, config, tokenizer, log")
    t.add_argument("--bundle", type=Path, default=None, help="export the trained model into this bundle")
    t.add_argument("--templates", type=Path, default=None, help="extra prompt templates for the vocabulary")
    t.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from these weights: a previous run's .npz (tokenizer.json beside it) or a bundle",
    )
    t.add_argument("--image-size", type=int, default=mdl.IMAGE_SIZE, help="vision input side, pixels")
    t.add_argument("--patch-size", type=int, default=mdl.PATCH_SIZE, help="vision patch side, pixels")
    t.add_argument("--vision-width", type=int, default=96)
    t.add_argument("--vision-layers", type=int, default=4)
    t.add_argument("--steps", type=int, default=800)
    t.add_argument(
        "--max-minutes",
        type=float,
        default=0.0,
        help="time budget: the schedule follows whichever of steps and time runs out first (0 = steps only)",
    )
    t.add_argument("--warmup", type=float, default=0.05, help="warm-up fraction of the schedule")
    t.add_argument(
        "--save-every", type=int, default=0, help="checkpoint weights.npz every N steps (0 = at the end)"
    )
    t.add_argument("--batch-crops", type=int, default=32)
    t.add_argument("--batch-frames", type=int, default=12)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--weight-decay", type=float, default=0.05)
    t.add_argument("--patch-weight", type=float, default=1.0)
    t.add_argument("--dense-weight", type=float, default=1.0)
    t.add_argument(
        "--room-weight", type=float, default=1.0, help="weight of the room loss (frames with room captions)"
    )
    t.add_argument(
        "--context-weight",
        type=float,
        default=1.0,
        help="weight of the context loss (frames naming their room's contents)",
    )
    t.add_argument("--object-weight", type=float, default=4.0)
    t.add_argument("--positive-weight", type=float, default=4.0)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--log-every", type=int, default=50)
    th = sub.add_parser("thresholds", help="write recommended thresholds into a bundle's manifest")
    th.add_argument("--bundle", type=Path, required=True)
    for name in ("patch", "grad", "dense"):
        th.add_argument(f"--{name}", type=float, default=None)
    return p


def _train(a: argparse.Namespace) -> None:
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.image_size % a.patch_size:
        raise ValueError(f"--image-size {a.image_size} is not a multiple of --patch-size {a.patch_size}")
    grid = a.image_size // a.patch_size
    crop_size = min(a.image_size, mdl.IMAGE_SIZE)
    t0 = time.monotonic()
    data = ds.load(a.data, a.image_size, grid, crop_size=crop_size)
    val = ds.load(a.val, a.image_size, grid, crop_size=crop_size) if a.val else None
    print(
        f"loaded {len(data.frames.images)} frames, {len(data.crops.images)} crops "
        f"in {time.monotonic() - t0:.0f} s",
        flush=True,
    )
    texts = [c for caps in data.crops.captions for c in caps]
    texts += [c for caps in data.frames.captions for c in caps]
    texts += [vocab.context_prompt(w) for caps in data.frames.contents for w in caps]
    texts += [prompt(w) for w in data.class_words.values()] + [prompt(w) for w in BACKGROUND_PROMPTS]
    if a.templates:
        texts += vocab.read_templates(a.templates)
    state, init_tok = _init_state(a.init)
    if init_tok is not None:
        texts += vocab.words_of_tokenizer(init_tok)  # never lose a word the start model knew
    tok = vocab.build_tokenizer(texts)
    vocab.save(tok, a.out / "tokenizer.json")
    cfg = mdl.model_config(
        tok.get_vocab_size(with_added_tokens=True),
        image_size=a.image_size,
        patch_size=a.patch_size,
        width=a.vision_width,
        layers=a.vision_layers,
    )
    (a.out / "model.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    trainer = Trainer(a, data, tok, cfg)
    if state is not None:
        key = "token_embedding.weight"
        rows = trainer.model.state_dict()[key].shape[0]
        if state[key].shape[0] != rows:
            if init_tok is None:
                raise ValueError(
                    f"{a.init}: {state[key].shape[0]} token rows for a vocabulary of {rows} "
                    "and no tokenizer.json to carry them over by word"
                )
            state[key], fresh = vocab.carry_embedding(state[key], init_tok, tok)
            print(f"vocabulary {state[key].shape[0]} tokens, new: {' '.join(fresh)}", flush=True)
        tensors = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in state.items()}
        trainer.model.load_state_dict(mdl.adapt_state(tensors, trainer.model))
        print(f"initialised from {a.init}", flush=True)
    log = trainer.run(val)
    log["args"] = {k: str(v) for k, v in vars(a).items()}
    log["parameters"] = sum(p.numel() for p in trainer.model.parameters())
    log["train_frames"] = len(data.frames.images)
    log["train_crops"] = len(data.crops.images)
    (a.out / "train_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    params = save_weights(trainer.model, a.out / "weights.npz")
    if a.bundle:
        export_bundle(
            params, ClipConfig.from_dict(cfg), a.out / "tokenizer.json", a.bundle, name=a.bundle.name
        )
        print(f"wrote bundle {a.bundle}")


def _init_state(init: Path | None) -> tuple[dict[str, np.ndarray] | None, Any]:
    """The start weights of ``--init`` and the tokenizer they were trained with (None when
    there is none: a ``.npz`` without ``tokenizer.json`` beside it)."""
    if init is None:
        return None, None
    if init.is_dir():
        state = load_bundle_state(init)
        tok_path = init / "tokenizer.json"
    else:
        with np.load(init) as w:
            state = {k: np.asarray(w[k]) for k in w.files}
        tok_path = init.parent / "tokenizer.json"
    return state, Tokenizer.from_file(str(tok_path)) if tok_path.is_file() else None


def _thresholds(a: argparse.Namespace) -> None:
    path = a.bundle / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name in ("patch", "grad", "dense"):
        value = getattr(a, name)
        if value is not None:
            manifest["thresholds"][name] = value
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"thresholds of {a.bundle}: {manifest['thresholds']}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    a = _parser().parse_args(argv)
    try:
        if a.command == "train":
            _train(a)
        else:
            _thresholds(a)
    except (OSError, ValueError, KeyError) as e:
        print(f"cow-train: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
