"""FastAPI peer of `lepton server` for bench/serve/run.sh: the German credit model trained by
bench/serve/train_python.py (a scikit-learn Pipeline: ColumnTransformer with OneHotEncoder +
passthrough numbers, then XGBClassifier), served the way a Python team would serve it.

  POST /v2/models/bench-xgboost/infer   the same Open Inference Protocol (KServe V2) request
                                        body that Lepton receives — one tensor per input column
                                        — parsed with pydantic models, turned into a one-row
                                        pandas DataFrame, scored with predict_proba; the answer
                                        has Lepton's shape: {"id", "model_name", "model_version",
                                        "outputs": [score FP64 [n], label BYTES [n]]}.
  GET  /healthz                         {"status": "ok"} once the model is loaded.

Choices that favour Python (so that the comparison is not against a strawman): the handler is
`async def` and predicts inline on the event loop (no thread-pool hop; each uvicorn worker is
one process, so this is the fastest layout for CPU-bound work), and XGBoost predicts with one
thread per worker (n_jobs=1: two workers on two cores would otherwise fight over OpenMP teams).

Environment: BENCH_MODEL (the joblib file train_python.py wrote; required), BENCH_THRESHOLD
(label cut-off, default 0.1667 as in bench/serve/model_config.json).

Serve (Debian's python3: python3-fastapi python3-uvicorn python3-sklearn python3-xgboost
python3-pandas python3-joblib):
  BENCH_MODEL=/tmp/model.joblib /usr/bin/python3 -m uvicorn fastapi_app:app \
      --app-dir bench/serve --workers 2 --no-access-log --port 8000
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import joblib
import pandas as pd
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

MODEL_NAME = "bench-xgboost"
MODEL_VERSION = "1"
POSITIVE, NEGATIVE = "bad", "good"
THRESHOLD = float(os.environ.get("BENCH_THRESHOLD", "0.1667"))

_model = joblib.load(os.environ["BENCH_MODEL"])
_model.named_steps["xgb"].set_params(n_jobs=1)
# The input columns in the order the pipeline was fitted on.
FEATURES: list[str] = list(_model.feature_names_in_)


class InferInput(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[Any]  # numbers, strings or null (no coercion: "4" stays a string)
    parameters: Optional[dict[str, Any]] = None


class InferRequest(BaseModel):
    id: Optional[str] = None
    inputs: List[InferInput]
    parameters: Optional[dict[str, Any]] = None


app = FastAPI(title="bench-serve-fastapi", docs_url=None, redoc_url=None, openapi_url=None)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": "INVALID_ARGUMENT", "error": message})


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.post(f"/v2/models/{MODEL_NAME}/infer")
async def infer(request: InferRequest):
    columns = {i.name: i.data for i in request.inputs}
    missing = [f for f in FEATURES if f not in columns]
    if missing:
        return error(400, f"missing input tensors: {', '.join(missing)}")
    rows = len(columns[FEATURES[0]])
    if rows == 0 or any(len(columns[f]) != rows for f in FEATURES):
        return error(400, "every input tensor must hold the same number (>= 1) of rows")
    frame = pd.DataFrame({f: columns[f] for f in FEATURES})
    scores = _model.predict_proba(frame)[:, 1].tolist()
    labels = [POSITIVE if s >= THRESHOLD else NEGATIVE for s in scores]
    response = {"model_name": MODEL_NAME, "model_version": MODEL_VERSION,
                "outputs": [
                    {"data": scores, "datatype": "FP64", "name": "score", "shape": [rows]},
                    {"data": labels, "datatype": "BYTES", "name": "label", "shape": [rows]},
                ]}
    if request.id is not None:
        response = {"id": request.id, **response}
    return response
