"""What tasks record about themselves (records.py) and the /v1/tracking views of it (queries.py)."""
