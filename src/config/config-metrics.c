/* [Metrics]: where the Prometheus endpoint listens (Listen=), checked when parsed. */
#include "config-internal.h"

#include "metrics/metrics-listen.h"

int config_set_metrics_listen(ParseContext *ctx, const char *key, const char *value,
                              const char *filename, unsigned line) {
        Config *c = ctx->config;
        MetricsAddress a;
        const char *why = NULL;
        int r;

        if (value[0] == '\0') { /* off, unless systemd passes a socket */
                c->metrics_address = (MetricsAddress) {};
                return set_string(&c->metrics_listen, NULL);
        }
        r = metrics_address_parse(value, &a, &why);
        if (r == -EINVAL)
                return bad_value(ctx, filename, line, key, value, "%s", why);
        if (r < 0)
                return r;
        r = set_string(&c->metrics_listen, value);
        if (r < 0)
                return r;
        c->metrics_address = a;
        return 0;
}
