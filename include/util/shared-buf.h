/* One immutable copy of some bytes (a reply's body), shared by reference count among
 * everything that reads it: the hook runs of that reply and the ledger that keeps it for a
 * restart. */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"

typedef struct SharedBuf {
        unsigned n_ref;
        size_t len;
        char data[]; /* len bytes, then a NUL */
} SharedBuf;

/* A copy of len bytes of data (NUL-terminated besides), one reference. 0 or -ENOMEM. */
int shared_buf_new(SharedBuf **ret, const char *data, size_t len);
SharedBuf *shared_buf_ref(SharedBuf *b);   /* NULL-safe; returns b */
SharedBuf *shared_buf_unref(SharedBuf *b); /* NULL-safe; returns NULL */
DEFINE_POINTER_CLEANUP(SharedBuf, shared_buf_unref)
