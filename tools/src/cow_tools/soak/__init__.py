"""Soak tests: long runs of ``cow run`` and ``cow sim serve`` with the process's
resident memory, open files and sockets sampled at a fixed period, and a
least-squares slope of memory after warm-up (``python -m cow_tools.soak``)."""
