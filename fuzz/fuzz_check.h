#pragma once
// FUZZ_CHECK(cond, what): an invariant of a fuzz target. On violation prints what broke and
// traps, so that libFuzzer (or the replay main) records the input as a crash. Active in every
// build mode (it does not depend on NDEBUG).

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                        \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s (%s)\n", __FILE__,     \
                   __LINE__, #cond, what);                                            \
      std::fflush(stderr);                                                            \
      __builtin_trap();                                                               \
    }                                                                                 \
  } while (0)
