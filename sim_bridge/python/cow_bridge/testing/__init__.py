"""Test helpers that put cow's embedded world behind other simulators' client libraries.

Nothing here is used by a bridge at run time. Each module is a named fake of
what cannot run on a machine without the simulator's renderer (or the robot),
and sits *behind* the real client library (or ROS), never in place of it:

- ``habitat_shim``: import stubs for the few habitat-lab modules that need
  habitat-sim's ``magnum`` bindings, installed only when habitat-sim is absent;
- ``habitat_world``: a habitat-lab simulator class (registered with
  ``@registry.register_simulator``) that renders cow's embedded houses through
  the test-world requests of a ``cow sim serve`` server;
- ``semantic_scene``: stand-ins for habitat-sim's semantic scene types, what
  a habitat-lab simulator's ``semantic_annotations()`` returns;
- ``fake_thor``: a fake AI2-THOR build, an executable that answers ai2thor's
  FIFO protocol by rendering cow's embedded houses the same way;
- ``sim_robot``: a simulated ROS robot (rospy; Debian's ``/usr/bin/python3``)
  whose base integrates ``cmd_vel`` with collisions and whose camera renders
  cow's embedded houses at that pose, publishing the topics a robot's drivers
  would; the robot node (``cow_bridge.ros``) runs on it unchanged.
"""
