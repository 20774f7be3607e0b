/* What a transition event means for hooks: the triggers it fires and its stable key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hook-runner.h"
#include "util/strutil.h"

unsigned hook_triggers_for_event(const Event *e) {
        const unsigned transition = HOOK_TRIGGER_BIT(HOOK_ON_TRANSITION);

        switch (e->kind) {
        case EVENT_TASK_SUCCEEDED:
                return transition | HOOK_TRIGGER_BIT(HOOK_ON_TASK_SUCCEEDED);
        case EVENT_TASK_FAILED:
        case EVENT_TASK_CANCELED:
                return transition | HOOK_TRIGGER_BIT(HOOK_ON_TASK_FAILED);
        case EVENT_INSTANCE_FAILED:
                return transition | HOOK_TRIGGER_BIT(HOOK_ON_INSTANCE_FAILED);
        case EVENT_TASK_STATE_CHANGED:
        case EVENT_TASK_UNKNOWN_STATE:
        case EVENT_INSTANCE_ADDED:
        case EVENT_INSTANCE_SUCCEEDED:
        case EVENT_INSTANCE_STATUS_CHANGED:
                return transition;
        default:
                return 0;
        }
}

/* Appends "/" and value, or "/-" when absent; the separators are escaped inside values. */
static int key_add(StrBuf *b, const char *sep, const char *value) {
        int r = strbuf_append(b, sep, strlen(sep));

        if (r < 0)
                return r;
        if (!value)
                return strbuf_append(b, "-", 1);
        for (const unsigned char *p = (const unsigned char *) value; *p && r >= 0; p++)
                if (*p == '%' || *p == '/' || *p == '>' || *p < 0x20 || *p == 0x7f)
                        r = strbuf_appendf(b, "%%%02X", *p);
                else
                        r = strbuf_append(b, p, 1);
        return r;
}

int hook_event_key(const Event *e, char **ret) {
        StrBuf b = {};
        int r;

        if (!e->task_id || !event_kind_name(e->kind))
                return -EINVAL;

        r = key_add(&b, "", e->task_id);
        if (r >= 0)
                r = key_add(&b, "/", event_kind_name(e->kind));
        if (r >= 0)
                switch (e->kind) {
                case EVENT_TASK_UNKNOWN_STATE:
                        r = key_add(&b, "/", e->task_state);
                        break;
                case EVENT_TASK_STATE_CHANGED:
                        r = key_add(&b, "/", e->task_previous_state);
                        if (r >= 0)
                                r = key_add(&b, ">", e->task_state);
                        break;
                case EVENT_TASK_STAGE_CHANGED:
                        r = key_add(&b, "/", e->task_previous_stage);
                        if (r >= 0)
                                r = key_add(&b, ">", e->task_stage);
                        break;
                case EVENT_INSTANCE_ADDED:
                case EVENT_INSTANCE_SUCCEEDED:
                        r = key_add(&b, "/", e->instance_id);
                        break;
                case EVENT_INSTANCE_FAILED:
                        r = key_add(&b, "/", e->instance_id);
                        /* Its second failure (a retry that failed again) is news: a key of
                         * its own. The first has none, as keys had before they were counted. */
                        if (r >= 0 && e->instance_failure > 1)
                                r = strbuf_appendf(&b, "/%u", e->instance_failure);
                        break;
                case EVENT_INSTANCE_STATUS_CHANGED:
                        r = key_add(&b, "/", e->instance_id);
                        if (r >= 0)
                                r = key_add(&b, "/", e->instance_previous_status);
                        if (r >= 0)
                                r = key_add(&b, ">", e->instance_status);
                        break;
                default:
                        break; /* terminal task kinds happen once per task */
                }
        if (r < 0) {
                strbuf_clear(&b);
                return -ENOMEM;
        }
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
