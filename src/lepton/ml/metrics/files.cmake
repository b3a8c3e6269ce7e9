# Evaluation metrics (metrics/): binary, multiclass, regression and per-slice (fairness) reports,
# bootstrap confidence intervals; checked against scikit-learn in the tests.
list(APPEND ML_HDRS metrics/binary.h metrics/multiclass.h metrics/regression.h metrics/slices.h
  metrics/bootstrap.h)
list(APPEND ML_SRCS metrics/binary.cc metrics/multiclass.cc metrics/regression.cc
  metrics/slices.cc metrics/bootstrap.cc metrics/internal/inputs.h metrics/internal/inputs.cc)
