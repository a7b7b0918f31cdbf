"""cow_tools: model tooling for CoW (CLIP -> ONNX bundle exporter, fixture generators)."""

__version__ = "0.1.0"
