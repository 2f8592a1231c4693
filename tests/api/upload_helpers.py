import io
import json


def multipart_upload(client, config: dict, content: bytes, filename: str = "data.csv"):
    """Upload the way FATE's clients do: the config as JSON in the raw query string, the file as part `file`."""
    return client.post("/v1/data/upload?" + json.dumps(config), data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def upload_config(name: str, **overrides) -> dict:
    config = {"namespace": "experiment", "table_name": name, "head": 1, "partition": 4, "work_mode": 0}
    config.update(overrides)
    return config
