/* A reference-counted immutable byte buffer: one copy of a reply for all who read it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/shared-buf.h"

int shared_buf_new(SharedBuf **ret, const char *data, size_t len) {
        SharedBuf *b;

        if (len > SIZE_MAX - sizeof(SharedBuf) - 1)
                return -ENOMEM;
        b = malloc(sizeof(SharedBuf) + len + 1);
        if (!b)
                return -ENOMEM;
        b->n_ref = 1;
        b->len = len;
        if (len > 0)
                memcpy(b->data, data, len);
        b->data[len] = 0;
        *ret = b;
        return 0;
}

SharedBuf *shared_buf_ref(SharedBuf *b) {
        if (b)
                b->n_ref++;
        return b;
}

SharedBuf *shared_buf_unref(SharedBuf *b) {
        if (b && --b->n_ref == 0)
                free(b);
        return NULL;
}
