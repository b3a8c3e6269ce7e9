# Model selection (select/): train/test splits, (stratified) k-fold, grid and random search over
# a JSON search space, and cross-validation through a caller-supplied fit-and-score callback.
list(APPEND ML_HDRS select/split.h select/search.h)
list(APPEND ML_SRCS select/split.cc select/search.cc select/internal/random.h)
