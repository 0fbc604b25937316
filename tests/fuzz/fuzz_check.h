// Property checks for the fuzz targets. Unlike assert(), a failed check
// aborts in every build type (the replay tests run in RelWithDebInfo, where
// NDEBUG is set), and libFuzzer reports the abort as a crash with its input.
#ifndef EVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_
#define EVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// Aborts with the failed condition, its location and `what` (a C string
// saying which property broke) unless `condition` holds.
#define EVSTORE_FUZZ_CHECK(condition, what)                               \
  do {                                                                    \
    if (!(condition)) {                                                   \
      std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  (%s)\n", \
                   __FILE__, __LINE__, (what), #condition);               \
      std::abort();                                                       \
    }                                                                     \
  } while (false)

#endif  // EVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_
