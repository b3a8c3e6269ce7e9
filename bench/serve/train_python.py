#!/usr/bin/python3
"""The Python peer of bench/serve's model: what a Python team would train for the German credit
model that `lepton server` serves in bench/serve/run.sh (bench/serve/model_config.json).

Same data, same training rows, same kind of model:
  - the German credit CSV (examples/credit-scoring/german_credit.csv), label 1 = class "bad";
  - the same 17 input columns; strings one-hot (scikit-learn OneHotEncoder, categories seen fewer
    than 10 times in training share one column, unseen ones ignored), numbers passed through raw
    (a ColumnTransformer);
  - the training part of Lepton's stratified split (test_fraction 0.3, seed 42), reproduced
    exactly: Lepton's `ml::StratifiedSplit` draws from std::mt19937_64 (reimplemented below and
    checked against the C++ standard's reference value), so both sides fit on the same 700 rows;
  - xgboost XGBClassifier: 100 trees, max_depth 4, learning_rate 0.1, subsample 0.8,
    colsample_bytree 0.8, min_child_weight 2, hist, seed 42 (bench/serve/model_config.json's
    parameters). The two models are fitted separately (different RNG streams for subsampling),
    so their scores are close, not equal.

Saves the fitted sklearn Pipeline with joblib to OUT and prints one JSON line:
{"train_rows", "test_rows", "test_auc", "features", "trees", "seconds"}.

Usage: /usr/bin/python3 train_python.py CSV OUT
(Debian: python3-sklearn python3-xgboost python3-pandas python3-joblib)
"""
import json
import math
import sys
import time

# Mirrors bench/serve/model_config.json.
FEATURES = ["checking_status", "duration", "credit_history", "purpose", "credit_amount",
            "savings_status", "employment", "installment_commitment", "other_parties",
            "residence_since", "property_magnitude", "other_payment_plans", "housing",
            "existing_credits", "job", "num_dependents", "own_telephone"]
TARGET, POSITIVE = "class", "bad"
TEST_FRACTION, SPLIT_SEED = 0.3, 42
XGB_PARAMS = dict(n_estimators=100, max_depth=4, learning_rate=0.1, subsample=0.8,
                  colsample_bytree=0.8, min_child_weight=2, tree_method="hist",
                  random_state=42, n_jobs=2)
MIN_FREQUENCY = 10


class MT19937_64:
    """std::mt19937_64 (fully specified by the C++ standard)."""
    W, N, M, R = 64, 312, 156, 31
    A = 0xB5026F5AA96619E9
    U, D, S, B, T, C, L = 29, 0x5555555555555555, 17, 0x71D67FFFEDA60000, 37, 0xFFF7EEE000000000, 43
    F = 6364136223846793005
    MASK = (1 << 64) - 1
    LOWER = (1 << 31) - 1
    UPPER = MASK & ~LOWER

    def __init__(self, seed):
        self.mt = [seed & self.MASK]
        for i in range(1, self.N):
            prev = self.mt[-1]
            self.mt.append((self.F * (prev ^ (prev >> (self.W - 2))) + i) & self.MASK)
        self.index = self.N

    def _twist(self):
        mt = self.mt
        for i in range(self.N):
            x = (mt[i] & self.UPPER) | (mt[(i + 1) % self.N] & self.LOWER)
            xa = x >> 1
            if x & 1:
                xa ^= self.A
            mt[i] = mt[(i + self.M) % self.N] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= self.N:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> self.U) & self.D
        y ^= (y << self.S) & self.B
        y ^= (y << self.T) & self.C
        y ^= y >> self.L
        return y & self.MASK


class Rng:
    """lepton::ml::internal::Rng (src/lepton/ml/select/internal/random.h)."""

    def __init__(self, seed):
        self.engine = MT19937_64(seed)

    def below(self, n):
        limit = MT19937_64.MASK - MT19937_64.MASK % n
        while True:
            x = self.engine()
            if x < limit:
                return x % n

    def shuffle(self, v):
        for i in range(len(v), 1, -1):
            j = self.below(i)
            v[i - 1], v[j] = v[j], v[i - 1]


def stratified_split(labels, test_fraction, seed):
    """lepton::ml::StratifiedSplit (src/lepton/ml/select/split.cc): (train rows, test rows)."""
    rows = len(labels)
    n_test = math.ceil(test_fraction * rows - 1e-9)
    classes = {}
    for i, y in enumerate(labels):
        classes.setdefault(y, []).append(i)
    ordered = sorted(classes.items())  # ascending label
    take, remainders, allocated = [], [], 0
    for idx, (_, members) in enumerate(ordered):
        exact = n_test * len(members) / rows
        base = math.floor(exact)
        remainders.append((exact - base, idx))
        take.append(base)
        allocated += base
    remainders.sort(key=lambda r: -r[0])  # stable: ties keep the lower label first
    for rem in remainders:
        if allocated >= n_test:
            break
        take[rem[1]] += 1
        allocated += 1
    rng = Rng(seed)
    is_test = [False] * rows
    for idx, (_, members) in enumerate(ordered):
        members = list(members)
        rng.shuffle(members)
        for i in members[:take[idx]]:
            is_test[i] = True
    return ([i for i in range(rows) if not is_test[i]], [i for i in range(rows) if is_test[i]])


def main(csv_path, out_path):
    start = time.perf_counter()
    # The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
    ref = MT19937_64(5489)
    for _ in range(9999):
        ref()
    if ref() != 9981545732273789042:
        raise SystemExit("train_python.py: mt19937_64 reimplementation is wrong")

    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    from xgboost import XGBClassifier

    df = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    y = (df[TARGET] == POSITIVE).astype(int).to_numpy()
    x = df[FEATURES]
    strings = [c for c in FEATURES if x[c].dtype == object]
    numbers = [c for c in FEATURES if c not in strings]
    train_rows, test_rows = stratified_split([float(v) for v in y], TEST_FRACTION, SPLIT_SEED)
    model = Pipeline([
        ("features", ColumnTransformer([
            ("onehot", OneHotEncoder(min_frequency=MIN_FREQUENCY,
                                     handle_unknown="infrequent_if_exist"), strings),
            ("numbers", "passthrough", numbers),
        ])),
        ("xgb", XGBClassifier(**XGB_PARAMS)),
    ])
    model.fit(x.iloc[train_rows], y[train_rows])
    test_auc = roc_auc_score(y[test_rows], model.predict_proba(x.iloc[test_rows])[:, 1])
    joblib.dump(model, out_path)
    booster = model.named_steps["xgb"].get_booster()
    print(json.dumps({"train_rows": len(train_rows), "test_rows": len(test_rows),
                      "test_auc": round(float(test_auc), 4),
                      "features": int(booster.num_features()),
                      "trees": int(booster.num_boosted_rounds()),
                      "seconds": round(time.perf_counter() - start, 3)}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
