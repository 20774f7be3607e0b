/* The scheduler on a real sd_event: planned polls come due in time order, due ones leave in
 * FIFO order, the budget holds them back and its timer lets them go, a poll that may not
 * start spends no token, and nothing it does after construction needs memory. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "watch/scheduler.h"

#include "alloc-fail.h"

typedef struct Fixture {
        sd_event *event;
        Scheduler *s;
        bool ready;
        size_t n_ready_calls;
        SchedulerEntry entries[4];
        size_t order[16];
        size_t n_due;
        usec_t due_at[16];
} Fixture;

static Fixture F;

static bool on_ready(void *userdata) {
        F.n_ready_calls++;
        return F.ready;
}

static void on_due(SchedulerEntry *e, void *userdata) {
        if (F.n_due >= ELEMENTSOF(F.order))
                abort();
        F.due_at[F.n_due] = now_usec(CLOCK_MONOTONIC);
        F.order[F.n_due++] = (size_t) (e - F.entries);
}

static void setup(double rate) {
        memset(&F, 0, sizeof(F));
        F.ready = true;
        if (sd_event_new(&F.event) < 0 || scheduler_new(&F.s, F.event, on_ready, on_due, NULL) < 0)
                abort();
        scheduler_set_max_rate(F.s, rate);
        for (size_t i = 0; i < ELEMENTSOF(F.entries); i++)
                F.entries[i].next_poll = USEC_INFINITY;
}

static void teardown(void) {
        F.s = scheduler_free(F.s);
        F.event = sd_event_unref(F.event);
}

/* Runs the loop until n polls came due, for at most timeout. */
static bool run_until_due(size_t n, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        while (F.n_due < n) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= end || sd_event_run(F.event, end - now) < 0)
                        return false;
        }
        return true;
}

static void test_planned_polls_come_due_in_time_order(void) {
        setup(1000);
        ASSERT_OK(scheduler_reserve(F.s, 3));
        scheduler_plan(F.s, &F.entries[0], 60 * USEC_PER_MSEC);
        scheduler_plan(F.s, &F.entries[1], 20 * USEC_PER_MSEC);
        scheduler_plan(F.s, &F.entries[2], 40 * USEC_PER_MSEC);
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 3);
        ASSERT_TRUE(run_until_due(3, 5 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.order[0], 1);
        ASSERT_INT_EQ(F.order[1], 2);
        ASSERT_INT_EQ(F.order[2], 0);
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 0);
        teardown();
}

static void test_replanning_moves_a_poll(void) {
        setup(1000);
        ASSERT_OK(scheduler_reserve(F.s, 2));
        scheduler_plan(F.s, &F.entries[0], 20 * USEC_PER_MSEC);
        scheduler_plan(F.s, &F.entries[1], 40 * USEC_PER_MSEC);
        scheduler_plan(F.s, &F.entries[0], 80 * USEC_PER_MSEC); /* was the head */
        scheduler_unplan(F.s, &F.entries[1]);
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 1);
        ASSERT_U64_EQ(F.entries[1].next_poll, USEC_INFINITY);
        ASSERT_TRUE(run_until_due(1, 5 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.order[0], 0);
        ASSERT_INT_EQ(F.n_due, 1);
        teardown();
}

static void test_due_polls_wait_in_fifo_order_until_ready(void) {
        setup(1000);
        F.ready = false;
        scheduler_enqueue(F.s, &F.entries[2]);
        scheduler_enqueue(F.s, &F.entries[0]);
        scheduler_enqueue(F.s, &F.entries[2]); /* there already: stays in its place */
        scheduler_enqueue(F.s, &F.entries[1]);
        scheduler_pump(F.s);
        ASSERT_INT_EQ(F.n_due, 0);
        ASSERT_INT_EQ(scheduler_n_queued(F.s), 3);

        F.ready = true;
        scheduler_pump(F.s);
        ASSERT_INT_EQ(F.n_due, 3);
        ASSERT_INT_EQ(F.order[0], 2);
        ASSERT_INT_EQ(F.order[1], 0);
        ASSERT_INT_EQ(F.order[2], 1);
        teardown();
}

/* The credentials were missing when the poll came due: the token it would have taken is
 * still there once they are back, so the poll goes at once. */
static void test_a_poll_that_may_not_start_spends_no_token(void) {
        setup(1); /* one token, refilled after a second */
        F.ready = false;
        scheduler_enqueue(F.s, &F.entries[0]);
        scheduler_pump(F.s);
        scheduler_pump(F.s);
        ASSERT_INT_EQ(F.n_due, 0);
        ASSERT_TRUE(F.n_ready_calls >= 2);

        F.ready = true;
        scheduler_pump(F.s);
        ASSERT_INT_EQ(F.n_due, 1);
        teardown();
}

/* Out of tokens, the rest wait for the rate-limit timer, which needs no memory to arm: the
 * queue does not stall. */
static void test_the_budget_holds_polls_back_and_its_timer_lets_them_go(void) {
        usec_t start;

        ALLOC_FAIL_REQUIRE();
        setup(2); /* burst of 2, then one every 500 ms */
        for (size_t i = 0; i < 3; i++)
                scheduler_enqueue(F.s, &F.entries[i]);
        start = now_usec(CLOCK_MONOTONIC);
        alloc_fail_after = 0;
        scheduler_pump(F.s);
        alloc_fail_reset();
        ASSERT_INT_EQ(F.n_due, 2);
        ASSERT_INT_EQ(scheduler_n_queued(F.s), 1);

        ASSERT_TRUE(run_until_due(3, 5 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.order[2], 2);
        ASSERT_TRUE(F.due_at[2] - start >= 400 * USEC_PER_MSEC);
        teardown();
}

/* Room reserved with the tasks: planning their polls cannot fail, so no task is left
 * without a next poll however short memory is. */
static void test_reserved_room_makes_planning_infallible(void) {
        ALLOC_FAIL_REQUIRE();
        setup(1000);
        ASSERT_OK(scheduler_reserve(F.s, 3));
        alloc_fail_after = 0;
        for (size_t i = 0; i < 3; i++)
                scheduler_plan(F.s, &F.entries[i], (i + 1) * 10 * USEC_PER_MSEC);
        alloc_fail_reset();
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 3);
        ASSERT_INT_EQ(scheduler_n_queued(F.s), 0);
        ASSERT_TRUE(run_until_due(3, 5 * USEC_PER_SEC));
        teardown();
}

/* Without reserved room and without memory, the poll goes now rather than never. */
static void test_planning_without_room_polls_now(void) {
        ALLOC_FAIL_REQUIRE();
        setup(1000);
        alloc_fail_after = 0;
        scheduler_plan(F.s, &F.entries[0], 10 * USEC_PER_SEC);
        alloc_fail_reset();
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 0);
        ASSERT_INT_EQ(scheduler_n_queued(F.s), 1);
        scheduler_pump(F.s);
        ASSERT_INT_EQ(F.n_due, 1);
        teardown();
}

static void test_forgetting_removes_from_heap_and_queue(void) {
        setup(1000);
        ASSERT_OK(scheduler_reserve(F.s, 2));
        scheduler_plan(F.s, &F.entries[0], 10 * USEC_PER_MSEC);
        scheduler_plan(F.s, &F.entries[1], 20 * USEC_PER_MSEC);
        scheduler_enqueue(F.s, &F.entries[1]);
        scheduler_forget(F.s, &F.entries[0]);
        scheduler_forget(F.s, &F.entries[1]);
        ASSERT_INT_EQ(scheduler_n_planned(F.s), 0);
        ASSERT_INT_EQ(scheduler_n_queued(F.s), 0);
        ASSERT_INT_EQ(sd_event_run(F.event, 50 * USEC_PER_MSEC), 0); /* nothing goes off */
        ASSERT_INT_EQ(F.n_due, 0);
        teardown();
}

TEST_MAIN(TEST_CASE(test_planned_polls_come_due_in_time_order),
          TEST_CASE(test_replanning_moves_a_poll),
          TEST_CASE(test_due_polls_wait_in_fifo_order_until_ready),
          TEST_CASE(test_a_poll_that_may_not_start_spends_no_token),
          TEST_CASE(test_the_budget_holds_polls_back_and_its_timer_lets_them_go),
          TEST_CASE(test_reserved_room_makes_planning_infallible),
          TEST_CASE(test_planning_without_room_polls_now),
          TEST_CASE(test_forgetting_removes_from_heap_and_queue))
