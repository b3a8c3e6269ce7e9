# Dataset profiling (profile/): streaming per-column statistics, sketches and alerts.
list(APPEND LAKE_HDRS profile/profile.h profile/sketches.h)
list(APPEND LAKE_SRCS profile/profile.cc profile/profile_format.cc profile/sketches.cc)
list(APPEND LAKE_PRIVATE_DEPS absl::flat_hash_map absl::flat_hash_set)
