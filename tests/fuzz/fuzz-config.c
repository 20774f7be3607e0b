/* libFuzzer target: arbitrary bytes as a config file; printing a valid result must round-trip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const Config *c, size_t *ret_size) {
        char *out = NULL;
        FILE *f = open_memstream(&out, ret_size);
        if (!f)
                abort();
        config_print(c, f);
        if (fclose(f) != 0)
                abort();
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_freep) Config *c = NULL, *back = NULL;
        _cleanup_(freep) char *out = NULL, *out2 = NULL;
        ConfigDiagnostics diag = {};
        size_t n, n2;
        int r;

        /* Far past the loader's cap: the interesting bugs need no megabytes. */
        if (size > CONFIG_FILE_SIZE_MAX)
                return 0;

        if (config_new(&c) < 0)
                abort();
        r = config_parse_text(c, (const char *) data, size, "fuzz.conf", &diag);
        if (r < 0 && r != -EINVAL)
                abort();
        /* Errors are reported, or there are none: never one without the other. */
        if ((r == -EINVAL) != (diag.n_messages > 0))
                abort();
        if (config_finish(c, &diag) == -ENOMEM)
                abort();
        out = print(c, &n);

        if (diag.n_messages == 0) {
                /* A valid config printed and parsed back is the same config. */
                if (config_new(&back) < 0 ||
                    config_parse_text(back, out, n, "printed", &diag) != 0 ||
                    config_finish(back, &diag) != 0 || diag.n_messages > 0)
                        abort();
                out2 = print(back, &n2);
                if (n != n2 || memcmp(out, out2, n) != 0)
                        abort();
                if (back->n_tasks != c->n_tasks || strcmp(back->endpoint, c->endpoint) != 0)
                        abort();
        }

        config_diagnostics_clear(&diag);
        return 0;
}
