"""The Habitat bridge: habitat-lab's ObjectNav task served to cow over protocol v1.

- ``convert``: the conversions the bridge adds (semantic ids to cow's classes,
  depth, camera intrinsics from the sensor configs, action names, episode
  records, measures); numpy only, importable without habitat-lab;
- ``bridge``: :class:`~cow_bridge.habitat.bridge.HabitatBackend`, the
  :class:`~cow_bridge.server.Backend` around a real ``habitat.Env``;
- ``command``: ``cow-bridge habitat --config ... --split ... --bind ...``.

Importing this package imports neither habitat-lab nor habitat-sim; only
``bridge`` does.
"""
