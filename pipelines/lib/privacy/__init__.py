"""The right to erasure: `radar forget` (forget.py) over the warehouse (warehouse.py) and every file (files.py)."""
