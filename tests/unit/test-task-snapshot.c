/* Snapshots packed into one block: a faithful, independent copy, freed either way. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "track/task-snapshot.h"

static bool inside(const TaskSnapshot *s, const void *p, size_t n) {
        return p && (const char *) p >= (const char *) s->block &&
               (const char *) p + n <= (const char *) s->block + malloc_usable_size(s->block);
}

static TaskSnapshot loose(void) {
        TaskSnapshot s = {
                .state = strdup("failed"),
                .phase = TASK_PHASE_FAILED,
                .stage = strdup("scale out \"nodes\" é"),
                .cluster_id = strdup("c-1"),
                .task_type = NULL, /* absent fields stay absent */
                .error_code = strdup("E1"),
                .error_message = strdup(""),
                .n_instances = 2,
                .n_succeeded = 1,
                .n_failed = 1,
        };

        s.instances = calloc(2, sizeof(*s.instances));
        s.instances[0] = (TrackedInstance) { strdup("i-a"), strdup("success"), INSTANCE_PHASE_SUCCEEDED, 0 };
        s.instances[1] = (TrackedInstance) { strdup("i-b"), strdup("failed"), INSTANCE_PHASE_FAILED, 2 };
        return s;
}

static void test_pack_copies_every_field_into_one_block(void) {
        TaskSnapshot src = loose(), p;

        ASSERT_OK(task_snapshot_pack(&p, &src));
        task_snapshot_clear(&src); /* the copy owns nothing of the source */

        ASSERT_NOT_NULL(p.block);
        ASSERT_STR_EQ(p.state, "failed");
        ASSERT_INT_EQ(p.phase, TASK_PHASE_FAILED);
        ASSERT_STR_EQ(p.stage, "scale out \"nodes\" é");
        ASSERT_STR_EQ(p.cluster_id, "c-1");
        ASSERT_NULL(p.task_type);
        ASSERT_STR_EQ(p.error_code, "E1");
        ASSERT_STR_EQ(p.error_message, "");
        ASSERT_INT_EQ(p.n_instances, 2);
        ASSERT_INT_EQ(p.n_succeeded, 1);
        ASSERT_INT_EQ(p.n_failed, 1);
        ASSERT_INT_EQ(p.n_pending, 0);
        ASSERT_TRUE((void *) p.instances == p.block);
        ASSERT_STR_EQ(p.instances[0].id, "i-a");
        ASSERT_STR_EQ(p.instances[0].status, "success");
        ASSERT_INT_EQ(p.instances[0].phase, INSTANCE_PHASE_SUCCEEDED);
        ASSERT_STR_EQ(p.instances[1].id, "i-b");
        ASSERT_STR_EQ(p.instances[1].status, "failed");
        ASSERT_INT_EQ(p.instances[1].phase, INSTANCE_PHASE_FAILED);
        ASSERT_TRUE(inside(&p, p.stage, strlen(p.stage) + 1));
        ASSERT_TRUE(inside(&p, p.error_message, 1));
        ASSERT_TRUE(inside(&p, p.instances[1].status, strlen("failed") + 1));
        task_snapshot_clear(&p);
        ASSERT_NULL(p.block);
        ASSERT_NULL(p.state);
        ASSERT_INT_EQ(p.phase, TASK_PHASE_UNKNOWN);
}

static void test_pack_of_a_packed_snapshot_is_another_block(void) {
        TaskSnapshot src = loose(), a, b;

        ASSERT_OK(task_snapshot_pack(&a, &src));
        ASSERT_OK(task_snapshot_pack(&b, &a));
        task_snapshot_clear(&src);
        task_snapshot_clear(&a);
        ASSERT_TRUE(b.block != NULL);
        ASSERT_STR_EQ(b.instances[1].id, "i-b");
        ASSERT_STR_EQ(b.stage, "scale out \"nodes\" é");
        task_snapshot_clear(&b);
}

static void test_pack_of_an_empty_snapshot_allocates_nothing(void) {
        TaskSnapshot empty = { .phase = TASK_PHASE_UNKNOWN }, p;

        ASSERT_OK(task_snapshot_pack(&p, &empty));
        ASSERT_NULL(p.block);
        ASSERT_NULL(p.instances);
        ASSERT_NULL(p.state);
        ASSERT_INT_EQ(p.n_instances, 0);
        task_snapshot_clear(&p);
}

TEST_MAIN(TEST_CASE(test_pack_copies_every_field_into_one_block),
          TEST_CASE(test_pack_of_a_packed_snapshot_is_another_block),
          TEST_CASE(test_pack_of_an_empty_snapshot_allocates_nothing))
