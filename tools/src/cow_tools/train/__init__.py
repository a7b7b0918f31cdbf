"""Training the embedded-world CLIP model (``cow-train``).

- :mod:`cow_tools.train.vocab`: the word-level tokenizer over the caption vocabulary;
- :mod:`cow_tools.train.data`: reading a ``cow sim dataset`` folder (frames, masks, crops)
  into arrays, with per-patch labels;
- :mod:`cow_tools.train.model`: the small OpenCLIP configuration and its MaskCLIP patch path
  (needs torch);
- :mod:`cow_tools.train.schedule`: the learning-rate schedule (steps or a time budget);
- :mod:`cow_tools.train.from_bundle`: the state dict of an exported bundle (to fine-tune a
  released model; no torch);
- :mod:`cow_tools.train.loop`: the training loop and the ``cow-train`` command (needs torch);
- :mod:`cow_tools.train.zeroshot`: zero-shot accuracy of an exported bundle on goal crops
  and, in world version 2, on the rooms of frames (ONNX Runtime, no torch).
"""
