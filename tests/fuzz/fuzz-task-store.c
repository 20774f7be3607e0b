/* libFuzzer target: any bytes as a task's state file, loaded through the store; what loads
 * must be a well-formed record that saves and loads back unchanged, what does not must be
 * moved aside with a one-line reason. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strutil.h"
#include "state/task-store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char state_dir[] = "/tmp/fuzz-task-store-XXXXXX";
static char tasks_dir[sizeof(state_dir) + 8];
static TaskStore *store;

static size_t remove_others(void);

static void cleanup(void) {
        char path[sizeof(tasks_dir) + 16];

        store = task_store_free(store);
        (void) remove_others();
        snprintf(path, sizeof path, "%s/T-1.json", tasks_dir);
        (void) unlink(path);
        (void) rmdir(tasks_dir);
        (void) rmdir(state_dir);
}

static void setup_once(void) {
        if (store)
                return;
        if (!mkdtemp(state_dir))
                abort();
        snprintf(tasks_dir, sizeof tasks_dir, "%s/tasks", state_dir);
        if (task_store_open(&store, state_dir, NULL) < 0)
                abort();
        atexit(cleanup);
}

static void write_input(const uint8_t *data, size_t size) {
        char path[sizeof(tasks_dir) + 16];
        int fd;

        snprintf(path, sizeof path, "%s/T-1.json", tasks_dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size) || close(fd) < 0)
                abort();
}

/* Every name in tasks/ that is not "T-1.json", deleted; returns how many there were. */
static size_t remove_others(void) {
        DIR *d = opendir(tasks_dir);
        size_t n = 0;

        if (!d)
                abort();
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || strcmp(de->d_name, "T-1.json") == 0)
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0)
                        abort();
                n++;
        }
        closedir(d);
        return n;
}

static void check_record(const TaskRecord *r) {
        const TaskSnapshot *s = &r->snapshot;

        if (!r->task_id || strcmp(r->task_id, "T-1") != 0)
                abort();
        if (s->n_succeeded + s->n_failed + s->n_pending != s->n_instances)
                abort();
        if (!r->have_baseline && (s->state || s->n_instances))
                abort();
        if (s->phase != task_phase_from_state(s->state))
                abort();
        for (size_t i = 0; i < s->n_instances; i++) {
                if (!s->instances[i].id || !s->instances[i].status)
                        abort();
                if (s->instances[i].phase != instance_phase_from_status(s->instances[i].status))
                        abort();
                if (i > 0 && strcmp(s->instances[i - 1].id, s->instances[i].id) >= 0)
                        abort();
        }
        for (size_t i = 0; i < r->hooks->n_done; i++)
                if (!r->hooks->done[i])
                        abort();
}

static bool same_string(const char *a, const char *b) {
        return streq_ptr(a, b);
}

static void check_same(const TaskRecord *a, const TaskRecord *b) {
        const TaskSnapshot *x = &a->snapshot, *y = &b->snapshot;

        if (!same_string(a->task_id, b->task_id) || a->have_baseline != b->have_baseline ||
            a->lost != b->lost || a->timeout_reported != b->timeout_reported ||
            a->first_seen != b->first_seen || a->last_poll != b->last_poll ||
            !same_string(a->last_error, b->last_error) || a->hooks->n_done != b->hooks->n_done)
                abort();
        for (size_t i = 0; i < a->hooks->n_done; i++)
                if (!same_string(a->hooks->done[i], b->hooks->done[i]))
                        abort();
        if (!same_string(x->state, y->state) || !same_string(x->stage, y->stage) ||
            !same_string(x->cluster_id, y->cluster_id) ||
            !same_string(x->task_type, y->task_type) ||
            !same_string(x->error_code, y->error_code) ||
            !same_string(x->error_message, y->error_message) || x->n_instances != y->n_instances)
                abort();
        for (size_t i = 0; i < x->n_instances; i++)
                if (!same_string(x->instances[i].id, y->instances[i].id) ||
                    !same_string(x->instances[i].status, y->instances[i].status))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TaskRecord *rec = NULL, *again = NULL;
        char *reason = NULL, path[sizeof(tasks_dir) + 16];
        int r;

        setup_once();
        write_input(data, size);

        r = task_store_load(store, "T-1", &rec, &reason);
        if (r == 0) {
                if (!rec || reason || remove_others() != 0)
                        abort();
                check_record(rec);
                /* What was read is written back and read again unchanged. */
                if (task_store_save(store, rec) < 0 ||
                    task_store_load(store, "T-1", &again, NULL) < 0)
                        abort();
                check_same(rec, again);
        } else if (r == -EBADMSG) {
                if (rec || !reason || strchr(reason, '\n') || !strstr(reason, "moved aside to "))
                        abort();
                /* Moved aside: the task's name is free and exactly one file took its place. */
                if (access(tasks_dir, F_OK) < 0 || remove_others() != 1)
                        abort();
                snprintf(path, sizeof path, "%s/T-1.json", tasks_dir);
                if (access(path, F_OK) == 0)
                        abort();
        } else if (r != -ENOMEM)
                abort();

        task_record_free(rec);
        task_record_free(again);
        free(reason);
        return 0;
}
