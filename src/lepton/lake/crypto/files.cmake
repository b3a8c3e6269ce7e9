# Encryption at rest for sensitive datasets (crypto/): the master key, per-table data keys
# wrapped by it, and libsodium secretstream data files. Only crypto/*.cc include sodium.h.
list(APPEND LAKE_HDRS crypto/keys.h crypto/encrypted_file.h)
list(APPEND LAKE_SRCS crypto/keys.cc crypto/encrypted_file.cc)
list(APPEND LAKE_PRIVATE_DEPS PkgConfig::SODIUM)
