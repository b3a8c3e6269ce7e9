# Transformers on hand-computed data, WOE/IV on German credit, no-leakage, save/load and 1-row
# identity, TF-IDF and hashing against scikit-learn (python3 with sklearn when available).
lepton_cc_test(NAME features_test
  SRCS features_test.cc woe_test.cc text_test.cc pipeline_test.cc
  DEPS lepton::features lepton::base_testing)
if(TARGET lepton_features_test)
  target_compile_definitions(lepton_features_test PRIVATE
    LEPTON_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data"
    LEPTON_FEATURES_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
endif()
