# Declarative data cleaning (clean/): rules format, applying plans. ICU backs Unicode
# normalization and case mapping (only clean/unicode.cc includes it).
pkg_check_modules(CLEAN_ICU REQUIRED IMPORTED_TARGET icu-uc)
list(APPEND LAKE_HDRS clean/plan.h clean/apply.h clean/unicode.h)
list(APPEND LAKE_SRCS clean/plan.cc clean/apply.cc clean/unicode.cc)
list(APPEND LAKE_PRIVATE_DEPS PkgConfig::YAMLCPP PkgConfig::CLEAN_ICU)
