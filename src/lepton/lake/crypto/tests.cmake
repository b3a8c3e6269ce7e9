# Encryption at rest: keys, encrypted files, and sensitive datasets through the lake service
# (both metadata stores).
lepton_cc_test(NAME lake_crypto_test SRCS crypto/keys_test.cc crypto/encrypted_lake_test.cc
  DEPS lepton::lake lepton::base_testing lepton::store_testing)
