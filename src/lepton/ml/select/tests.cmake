# Model selection: splits, folds, search spaces and cross-validation.
lepton_cc_test(NAME ml_select_test
  SRCS select/split_test.cc select/search_test.cc
  DEPS lepton::ml lepton::base_testing)
