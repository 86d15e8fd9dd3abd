// DF_CHECK: invariants only (docs/style.md tier 2). Never use it on anything the guest, a
// manifest or the environment controls; those are Status values.
#ifndef DISKFERRY_PROTOCOL_CHECK_H_
#define DISKFERRY_PROTOCOL_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define DF_CHECK(cond)                                                                  \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // DISKFERRY_PROTOCOL_CHECK_H_
