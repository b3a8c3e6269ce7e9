"""Lepton's Python client: the seed's programming model over the REST API.

    from lepton import DataLake, ModelBuilder
    df = DataLake("data_lake_config.json").get_data("customer_data")
    model = ModelBuilder("model_config.json").build_and_train(df)
    print(model.run_id, model.metrics["auc"])

`data_lake_config.json` is the file the C++ `lepton::DataLake` reads (dataset aliases with
version, columns and where), plus where the server is. The server and token come from, in
order: the config's "server" / "token_file", the environment (LEPTON_SERVER, LEPTON_TOKEN), and
the defaults http://127.0.0.1:8080 and <home>/admin.token (paths relative to the working
directory, as for the C++ DataLake). Only the standard library is needed;
`get_data` returns a pandas DataFrame when pandas is installed, else a `Table`.

Training happens on the server, on the lake's data: `build_and_train(df)` trains on the dataset
(and version and filter) that `df` was read from — the frame carries that provenance — so the
data never has to travel back. Errors raise `LeptonError` with the server's message (for a bad
model config, the JSON path and what was expected).
"""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["DataLake", "ModelBuilder", "Model", "Table", "LeptonError"]


class LeptonError(Exception):
    """An error answered by the server (status is the HTTP status, 0 when it was unreachable)."""

    def __init__(self, message, status=0):
        super().__init__(message)
        self.status = status


class Table:
    """Rows of a scan when pandas is not installed: `columns`, `rows` (lists), `attrs`."""

    def __init__(self, columns, rows):
        self.columns = list(columns)
        self.rows = rows
        self.attrs = {}

    def __len__(self):
        return len(self.rows)


class _Client:
    def __init__(self, server, token):
        self.server = server.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, timeout=300):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                message = json.loads(text).get("error", text)
            except ValueError:
                message = text
            raise LeptonError(f"{method} {path}: {message} (HTTP {e.code})", e.code) from None
        except urllib.error.URLError as e:
            raise LeptonError(f"cannot reach {self.server}: {e.reason}") from None


def _read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except OSError as e:
        raise LeptonError(f"{what} {path}: {e.strerror}") from None
    except ValueError as e:
        raise LeptonError(f"{what} {path}: not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise LeptonError(f"{what} {path}: expected a JSON object")
    return value


def _client_for(config):
    # Paths are relative to the working directory, as for the C++ DataLake.
    home = config.get("home", "./lepton-home")
    server = config.get("server") or os.environ.get("LEPTON_SERVER") or "http://127.0.0.1:8080"
    token = os.environ.get("LEPTON_TOKEN")
    token_file = config.get("token_file")
    if token_file or not token:
        path = token_file or os.path.join(home, "admin.token")
        try:
            with open(path, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            raise LeptonError(f"no API token: {path}: {e.strerror} (set LEPTON_TOKEN or token_file)") from None
    return _Client(server, token)


def _dataset_path(full_name):
    ns, sep, name = full_name.partition("/")
    if not sep or not ns or not name:
        raise LeptonError(f'dataset "{full_name}": expected "namespace/name"')
    return "/api/v1/lake/datasets/" + urllib.parse.quote(ns) + "/" + urllib.parse.quote(name)


class DataLake:
    """`DataLake("data_lake_config.json").get_data(name)`: a dataset, as the config describes it."""

    def __init__(self, config_path="data_lake_config.json"):
        self._config = _read_json(config_path, "data lake config")
        self._client = _client_for(self._config)

    def get_data(self, name):
        """The rows of the dataset `name` (an alias of the config, or "ns/name")."""
        spec = self._config.get("datasets", {}).get(name)
        if spec is None:
            if "/" not in name:
                raise LeptonError(f'no dataset "{name}" in the data lake config')
            spec = {"dataset": name}
        body = {"format": "json"}
        for key in ("columns", "where", "version"):
            if key in spec:
                body[key] = spec[key]
        res = self._client.call("POST", _dataset_path(spec["dataset"]) + "/scan", body)
        provenance = {"dataset": spec["dataset"], "version": res.get("version"),
                      "where": spec.get("where", [])}
        try:
            import pandas
        except ImportError:
            table = Table(res["columns"], res["rows"])
            table.attrs["lepton"] = provenance
            return table
        frame = pandas.DataFrame(res["rows"], columns=res["columns"])
        frame.attrs["lepton"] = provenance
        return frame


class Model:
    """A trained model on the server: its tracked run, test metrics and bundle folder."""

    def __init__(self, job):
        result = job.get("result") or {}
        self.job_id = job.get("id")
        self.run_id = result.get("run_id")
        self.experiment = result.get("experiment")
        self.metrics = result.get("metrics", {})
        self.model_dir = result.get("model_dir")
        self.lineage = result.get("lineage", {})

    def __repr__(self):
        return f"Model(run_id={self.run_id!r}, metrics={self.metrics!r})"


class ModelBuilder:
    """`ModelBuilder("model_config.json").build_and_train(df)`: a training job on the server."""

    def __init__(self, config_path="model_config.json", data_lake_config=None):
        self._config = _read_json(config_path, "model config")
        base = data_lake_config or os.environ.get("LEPTON_DATA_LAKE_CONFIG")
        lake = _read_json(base, "data lake config") if base else {}
        self._client = _client_for(lake)

    def build_and_train(self, df=None, progress=None, poll_seconds=0.2):
        """Trains on the server and returns a `Model`. With `df` from `DataLake.get_data`, trains
        on that dataset, version and filter; without, on the config's own dataset. `progress`, if
        given, is called with each progress object."""
        config = json.loads(json.dumps(self._config))
        if df is not None:
            source = getattr(df, "attrs", {}).get("lepton")
            if not source:
                raise LeptonError("build_and_train: the frame has no Lepton provenance; pass a "
                                  "frame from DataLake.get_data, or none to use the config's dataset")
            dataset = {"name": source["dataset"]}
            if source.get("version") is not None:
                dataset["version"] = source["version"]
            if source.get("where"):
                dataset["where"] = source["where"]
            config["dataset"] = dataset
        job = self._client.call("POST", "/api/v1/training-jobs", config)
        while job.get("state") in ("queued", "running"):
            if progress:
                progress(job.get("progress", {}))
            time.sleep(poll_seconds)
            job = self._client.call("GET", "/api/v1/training-jobs/" + job["id"])
        if job.get("state") != "succeeded":
            raise LeptonError(f"training job {job.get('id')} {job.get('state')}: {job.get('error', '')}")
        return Model(job)
