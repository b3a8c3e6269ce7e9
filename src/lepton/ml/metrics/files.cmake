# Evaluation metrics (metrics/): binary, multiclass, regression and per-slice (fairness) reports,
# bootstrap confidence intervals, drift statistics (PSI, KS); checked against scikit-learn and
# scipy in the tests.
list(APPEND ML_HDRS metrics/binary.h metrics/multiclass.h metrics/regression.h metrics/slices.h
  metrics/bootstrap.h metrics/drift.h)
list(APPEND ML_SRCS metrics/binary.cc metrics/multiclass.cc metrics/regression.cc
  metrics/slices.cc metrics/bootstrap.cc metrics/drift.cc metrics/internal/inputs.h
  metrics/internal/inputs.cc)
