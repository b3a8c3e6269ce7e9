# Metrics: hand-computed cases, and agreement with scikit-learn (runs /usr/bin/python3; skips
# only when sklearn cannot be imported).
lepton_cc_test(NAME ml_metrics_test
  SRCS metrics/binary_test.cc metrics/multiclass_regression_test.cc metrics/slices_test.cc
       metrics/sklearn_agreement_test.cc metrics/bootstrap_test.cc metrics/drift_test.cc
  DEPS lepton::ml lepton::base_testing)
