"""Tables: upload and download as local jobs (upload.py), table metas (table_meta.py), tables registered from
existing data and deleted (table_registry.py)."""
