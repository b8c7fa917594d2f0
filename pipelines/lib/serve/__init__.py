"""`radar serve`: the online scoring API (FastAPI), its champion holder and its read-only warehouse reads."""
