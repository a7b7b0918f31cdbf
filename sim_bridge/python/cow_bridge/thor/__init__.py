"""The RoboTHOR bridge: ai2thor's ``Controller`` served to cow over protocol v1.

``episodes`` reads RoboTHOR ObjectNav challenge files, ``bridge`` is the
:class:`~cow_bridge.server.Backend` over the controller, ``command`` the
``cow-bridge thor`` command line. Needs the ``thor`` extra (ai2thor).
"""
