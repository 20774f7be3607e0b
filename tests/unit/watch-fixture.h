/* What the tests of the watch layer share: a Config from text, and a watcher's credentials
 * getter that has none (no poll is sent; replies are handed to the tasks directly). */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "creds/credentials.h"

/* The configuration text means, finished; aborts on a bad one (a broken test, not a case). */
static inline Config *test_config_from_text(const char *text) {
        Config *c = NULL;

        if (config_new(&c) < 0 || config_parse_text(c, text, strlen(text), "test.conf", NULL) < 0 ||
            config_finish(c, NULL) < 0)
                abort();
        return c;
}

static inline const Credentials *test_no_credentials(void *userdata) {
        (void) userdata;
        return NULL;
}
