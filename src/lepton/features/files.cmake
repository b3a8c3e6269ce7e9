# Transformers and fitted pipelines: the JSON spec, steps (internal/), WOE binning and text
# tokenisation. ICU (Unicode lower-casing and word characters) is seen by text.cc only.
pkg_check_modules(FEATURES_ICU REQUIRED IMPORTED_TARGET icu-uc)
list(APPEND FEATURES_HDRS pipeline.h woe.h text.h)
list(APPEND FEATURES_SRCS pipeline.cc woe.cc text.cc
     internal/json_util.h internal/json_util.cc internal/stats.h
     internal/steps.h internal/steps.cc internal/text_steps.cc)
list(APPEND FEATURES_PRIVATE_DEPS PkgConfig::FEATURES_ICU absl::flat_hash_map absl::flat_hash_set)
