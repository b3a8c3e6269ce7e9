# Declarative data cleaning: plan parsing and application (clean_test.cc), and Lake::Clean over
# a real table and catalog on every metadata store (clean_lake_test.cc).
lepton_cc_test(NAME lake_clean_test SRCS clean/clean_test.cc clean/clean_lake_test.cc
  DEPS lepton::lake lepton::base_testing lepton::store_testing)
