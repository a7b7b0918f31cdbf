"""Training the embedded-world CLIP model (``cow-train``).

- :mod:`cow_tools.train.vocab`: the word-level tokenizer over the caption vocabulary;
- :mod:`cow_tools.train.data`: reading a ``cow sim dataset`` folder (frames, masks, crops)
  into arrays, with per-patch labels;
- :mod:`cow_tools.train.model`: the small OpenCLIP configuration and its MaskCLIP patch path
  (needs torch);
- :mod:`cow_tools.train.schedule`: the learning-rate schedule (steps or a time budget);
- :mod:`cow_tools.train.loop`: the training loop and the ``cow-train`` command (needs torch);
- :mod:`cow_tools.train.zeroshot`: zero-shot classification accuracy of an exported bundle
  (ONNX Runtime, no torch).
"""
