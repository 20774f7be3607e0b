/* Checks across keys once every file is read: the effective endpoint, the poll interval
 * order, a readable CAFile=, complete explicit credentials. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/ini.h"

/* The explicit key is all or nothing: an id without its secret is a typo, not a choice. */
static int credentials_finish(const Config *c, ConfigDiagnostics *diag) {
        const char *where = c->credentials_origin ? : "[Credentials]";
        const char *why = NULL;
        int r;

        if (c->access_key_id && !c->access_key_secret_file)
                why = "AccessKeyId= is set but AccessKeySecretFile= is not";
        else if (!c->access_key_id && c->access_key_secret_file)
                why = "AccessKeySecretFile= is set but AccessKeyId= is not";
        else if (!c->access_key_id && c->security_token_file)
                why = "SecurityTokenFile= needs AccessKeyId= and AccessKeySecretFile=";
        else if (c->credentials_source == CREDENTIALS_SOURCE_CONFIG && !c->access_key_id)
                why = "Source=config needs AccessKeyId= and AccessKeySecretFile=";
        if (!why)
                return 0;
        r = config_diagnostics_add(diag, "%s: %s", where, why);
        return r < 0 ? r : -EINVAL;
}

int config_finish(Config *c, ConfigDiagnostics *diag) {
        char a[FORMAT_TIMESPAN_MAX], b[FORMAT_TIMESPAN_MAX];
        bool failed = false;
        int r;

        if (!c->endpoint_explicit) {
                free(c->endpoint);
                c->endpoint = NULL;
                r = config_endpoint_for_region(c->region, c->network, &c->endpoint);
                if (r < 0)
                        return r;
        }

        if (c->min_interval > c->max_interval) {
                failed = true;
                format_timespan(a, sizeof a, c->min_interval);
                format_timespan(b, sizeof b, c->max_interval);
                if (c->max_interval_origin && c->min_interval_origin)
                        r = config_diagnostics_add(diag, "%s: MaxInterval=%s is shorter than "
                                                   "MinInterval=%s (set at %s)",
                                                   c->max_interval_origin, b, a,
                                                   c->min_interval_origin);
                else if (c->max_interval_origin)
                        r = config_diagnostics_add(diag, "%s: MaxInterval=%s is shorter than "
                                                   "MinInterval=%s (the default)",
                                                   c->max_interval_origin, b, a);
                else
                        r = config_diagnostics_add(diag, "%s: MinInterval=%s is longer than "
                                                   "MaxInterval=%s (the default)",
                                                   c->min_interval_origin ? : "MinInterval",
                                                   a, b);
                if (r < 0)
                        return r;
        }

        if (c->ca_file) {
                _cleanup_(closep) int fd = -1;
                struct stat st;
                const char *why = NULL;

                /* Only a regular file is opened: opening a device node can have effects (a
                 * watchdog starts ticking), and a FIFO would hang --check-config. */
                if (stat(c->ca_file, &st) < 0)
                        why = strerror(errno);
                else if (!S_ISREG(st.st_mode))
                        why = "not a regular file";
                else if ((fd = open(c->ca_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
                        why = strerror(errno);
                if (why) {
                        _cleanup_(freep) char *q = ini_quote(c->ca_file);
                        if (!q)
                                return -ENOMEM;
                        failed = true;
                        r = config_diagnostics_add(diag, "%s: CAFile=%s: %s",
                                                   c->ca_file_origin ? : "CAFile", q, why);
                        if (r < 0)
                                return r;
                }
        }

        r = credentials_finish(c, diag);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                failed = true;

        return failed ? -EINVAL : 0;
}
