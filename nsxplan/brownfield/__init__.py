"""Existing NSX -> a snapshot (export.py) or a starting configuration (importer.py)."""
