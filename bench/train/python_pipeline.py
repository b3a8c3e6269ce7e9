#!/usr/bin/python3
"""The bench/train pipeline in Python (Debian's scikit-learn, xgboost, pandas), the peer that
Lepton's `lepton train` is timed against. Same protocol as bench/train/model_config.json:

  read the Taiwan default CSV; features = every column but ID and the label; SEX, EDUCATION,
  MARRIAGE one-hot (unknown categories ignored); the rest median-imputed and standardized;
  the test part is the 30% of rows with the highest ID (ceil, as Lepton's time split on ID), so
  both sides score exactly the same rows; 5-fold stratified CV of the whole pipeline on the
  training part (the pipeline refitted inside each fold); final fit on the training part; AUC on
  the test part. XGBoost: 100 rounds, depth 4, eta 0.1, hist, 2 threads, seed 42.

Prints one JSON line: {"seconds", "cv_auc_mean", "test_auc", "rows"}. Usage: python_pipeline.py CSV
"""
import json
import math
import sys
import time

start = time.perf_counter()
import numpy as np  # noqa: E402  (imports are part of what a Python user pays)
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

LABEL = "default_payment_next_month"
CATEGORICAL = ["SEX", "EDUCATION", "MARRIAGE"]


def main(path):
    df = pd.read_csv(path)
    y = df[LABEL].to_numpy()
    x = df.drop(columns=[LABEL, "ID"])
    numeric = [c for c in x.columns if c not in CATEGORICAL]
    pre = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                          ("scale", StandardScaler())]), numeric),
    ])
    model = Pipeline([
        ("features", pre),
        ("xgb", XGBClassifier(n_estimators=100, max_depth=4, learning_rate=0.1,
                              tree_method="hist", n_jobs=2, random_state=42)),
    ])
    order = np.argsort(df["ID"].to_numpy(), kind="stable")
    n_test = math.ceil(0.3 * len(df) - 1e-9)
    train_idx, test_idx = order[:-n_test], order[-n_test:]
    x_train, x_test = x.iloc[train_idx], x.iloc[test_idx]
    y_train, y_test = y[train_idx], y[test_idx]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    cv = cross_val_score(model, x_train, y_train, cv=folds, scoring="roc_auc")
    model.fit(x_train, y_train)
    test_auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    print(json.dumps({"seconds": round(time.perf_counter() - start, 3),
                      "cv_auc_mean": float(np.mean(cv)), "test_auc": float(test_auc),
                      "rows": int(len(df))}))


if __name__ == "__main__":
    main(sys.argv[1])
