"""Pipelined models on this server's disk (local.py, paths.py) and what clients do with them: the record at the
end of a training job (record.py), deploy (deploy.py), export/import (archive.py, package.py), store/restore
(store.py), migrate (migrate.py), publish to servings (publish.py, serving_client.py), homo convert/deploy
(homo.py, through the Kubernetes API of kubernetes.py), tags (tags.py), FATE-Serving's download (transfer.py) and queries (queries.py)."""
