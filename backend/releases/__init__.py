"""Integration releases: the Avid and Premiere files that the operator publishes and editors
download (``store``), and their HTTP side (``web``: ``/api/v1/releases/latest``, ``/downloads``).
"""
