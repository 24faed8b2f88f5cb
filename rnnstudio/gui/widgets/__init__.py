"""Panels of the main window. Each takes the ``Session``, listens to its signals and
calls its setters; no widget knows another."""
