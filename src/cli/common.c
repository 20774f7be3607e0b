/* What every taskwatch command shares: the configuration, the credentials, task id checks. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "summary.h"
#include "util/log.h"

int cli_load_config(const CliContext *ctx, Config **ret) {
        ConfigDiagnostics diag = {};
        int r;

        r = config_load(ctx->config_path, &ctx->load, ret, &diag);
        for (size_t i = 0; i < diag.n_messages; i++)
                log_plain("%s", diag.messages[i]);
        if (r < 0 && diag.n_messages == 0)
                log_error_errno(r, "cannot load the configuration %s: %m",
                                ctx->config_path ? ctx->config_path : CONFIG_DEFAULT_PATH);
        config_diagnostics_clear(&diag);
        return r;
}

/* The credential layer is being replaced by a provider object: this is the one function to
 * change then. config is passed already, for the sources it will name. */
int cli_acquire_credentials(const Config *config, Credentials **ret) {
        int r = credentials_from_environment(ret);

        if (r == -ENOKEY)
                log_error("no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                          "ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for an "
                          "STS token)");
        else if (r < 0)
                log_error_errno(r, "cannot read credentials: %m");
        return r;
}

int cli_check_task_ids(char *const *ids, size_t n) {
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                TaskIdVerdict v = task_id_check(ids[i]);
                if (v == TASK_ID_VALID)
                        continue;
                _cleanup_(freep) char *p = printable(ids[i]);
                log_error("'%s' is not a task id: %s", p ? p : "?", task_id_verdict_hint(v));
                r = -EINVAL;
        }
        return r;
}
