# Dataset profiling: sketches, statistics, alerts, rendering; profiles ../shared/data.
lepton_cc_test(NAME lake_profile_test SRCS profile/profile_test.cc profile/sketches_test.cc
  DEPS lepton::lake lepton::base_testing)
if(TARGET lepton_lake_profile_test)
  target_compile_definitions(lepton_lake_profile_test PRIVATE
    LEPTON_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
endif()

# `Lake::Profile` over ingested tables, on every metadata store backend.
lepton_cc_test(NAME lake_profile_lake_test SRCS profile/profile_lake_test.cc
  DEPS lepton::lake lepton::base_testing lepton::store_testing)
if(TARGET lepton_lake_profile_lake_test)
  target_compile_definitions(lepton_lake_profile_lake_test PRIVATE
    LEPTON_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
endif()
