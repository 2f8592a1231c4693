"""The keys of a /v1/model/deploy request, shared by the server (which refuses any other key) and the legacy CLI
(which turns a deploy conf's file keys into the content it sends)."""

# what /v1/model/deploy takes (`dsl` is what FATE's `flow model deploy --dsl-path` sends the file's text as)
DEPLOY_REQUEST_KEYS = ("model_id", "model_version", "cpn_list", "predict_dsl", "dsl")
# deploy conf keys that name files on the client's machine -> the key a client sends their content as
CLIENT_FILE_KEYS = {"cpn_path": "cpn_list", "dsl_path": "predict_dsl"}
