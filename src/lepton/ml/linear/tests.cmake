# Linear learners: scikit-learn agreement (Debian python3-sklearn, run from the tests), weights,
# sparse == dense, save/load, scorecard scaling; reads ../shared/data.
lepton_cc_test(NAME ml_linear_test
  SRCS linear/logistic_test.cc linear/linear_regression_test.cc linear/scorecard_test.cc
  DEPS lepton::ml lepton::base_testing)
if(TARGET lepton_ml_linear_test)
  target_compile_definitions(lepton_ml_linear_test PRIVATE
    LEPTON_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
endif()
