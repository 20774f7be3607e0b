/* The hook ledger on its own: done keys once each, pending runs that finish into done, and
 * the stdin inputs kept once and dropped when no pending run reads them. */
#include <string.h>

#include "state/hook-ledger.h"
#include "test.h"

static Event instance_failed(const char *id) {
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        e.task_id = "T-1";
        e.instance_id = id;
        e.instance_status = "failed";
        return e;
}

static void test_an_empty_ledger(void) {
        _cleanup_(hook_ledger_freep) HookLedger *l = NULL;

        ASSERT_TRUE(hook_ledger_is_empty(NULL));
        ASSERT_OK(hook_ledger_new(&l));
        ASSERT_TRUE(hook_ledger_is_empty(l));
        ASSERT_TRUE(!hook_ledger_has_done(l, "T-1/task-failed"));
        ASSERT_NULL(hook_ledger_pending(l, "T-1/task-failed"));
        ASSERT_NULL(hook_ledger_free(NULL));
}

static void test_a_done_key_is_kept_once(void) {
        _cleanup_(hook_ledger_freep) HookLedger *l = NULL;

        ASSERT_OK(hook_ledger_new(&l));
        ASSERT_INT_EQ(hook_ledger_add_done(l, "T-1/task-failed"), 1);
        ASSERT_INT_EQ(hook_ledger_add_done(l, "T-1/task-failed"), 0);
        ASSERT_INT_EQ(hook_ledger_add_done(l, NULL), -EINVAL);
        ASSERT_INT_EQ(l->n_done, 1);
        ASSERT_TRUE(hook_ledger_has_done(l, "T-1/task-failed"));
        ASSERT_TRUE(!hook_ledger_is_empty(l));
}

static void test_pending_runs_finish_into_done_and_drop_their_input(void) {
        _cleanup_(hook_ledger_freep) HookLedger *l = NULL;
        Event a = instance_failed("i-1"), b = instance_failed("i-2");
        const TaskPendingHook *p;
        Event back;

        ASSERT_OK(hook_ledger_new(&l));
        ASSERT_INT_EQ(hook_ledger_add_pending(l, "T-1/instance-failed/i-1", &a, "{\"r\":1}"), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(l, "T-1/instance-failed/i-2", &b, "{\"r\":1}"), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(l, "T-1/instance-failed/i-2", &b, "{\"r\":1}"), 0);
        ASSERT_INT_EQ(l->n_pending, 2);
        ASSERT_INT_EQ(l->n_inputs, 1); /* one reply, kept once */

        p = hook_ledger_pending(l, "T-1/instance-failed/i-2");
        ASSERT_NOT_NULL(p);
        ASSERT_STR_EQ(hook_ledger_input(l, p), "{\"r\":1}");
        ASSERT_OK(task_pending_hook_to_event(p, "T-1", &back));
        ASSERT_INT_EQ(back.kind, EVENT_INSTANCE_FAILED);
        ASSERT_STR_EQ(back.instance_id, "i-2");

        ASSERT_INT_EQ(hook_ledger_finish(l, "T-1/instance-failed/i-1"), 1);
        ASSERT_INT_EQ(l->n_inputs, 1); /* i-2 still reads it */
        ASSERT_INT_EQ(hook_ledger_finish(l, "T-1/instance-failed/i-2"), 1);
        ASSERT_INT_EQ(l->n_pending, 0);
        ASSERT_INT_EQ(l->n_inputs, 0);
        ASSERT_INT_EQ(l->n_done, 2);
        /* Done: submitting it again records nothing. */
        ASSERT_INT_EQ(hook_ledger_add_pending(l, "T-1/instance-failed/i-1", &a, NULL), 0);
}

static void test_clearing_pending_keeps_done(void) {
        _cleanup_(hook_ledger_freep) HookLedger *l = NULL;
        Event a = instance_failed("i-1");

        ASSERT_OK(hook_ledger_new(&l));
        ASSERT_INT_EQ(hook_ledger_add_done(l, "T-1/task-failed"), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(l, "T-1/instance-failed/i-1", &a, "{}"), 1);
        hook_ledger_clear_pending(l);
        ASSERT_INT_EQ(l->n_pending, 0);
        ASSERT_INT_EQ(l->n_inputs, 0);
        ASSERT_TRUE(hook_ledger_has_done(l, "T-1/task-failed"));
}

TEST_MAIN(TEST_CASE(test_an_empty_ledger),
          TEST_CASE(test_a_done_key_is_kept_once),
          TEST_CASE(test_pending_runs_finish_into_done_and_drop_their_input),
          TEST_CASE(test_clearing_pending_keeps_done))
