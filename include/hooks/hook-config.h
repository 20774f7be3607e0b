/* The [Hooks] settings: which commands run on which transitions, split like ExecStart=. */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"
#include "util/time-util.h"

/* The [Hooks] keys that name commands; each is repeatable, and an empty assignment clears
 * the list given so far (as in systemd). */
typedef enum HookTrigger {
        HOOK_ON_TASK_SUCCEEDED,  /* OnTaskSucceeded= */
        HOOK_ON_TASK_FAILED,     /* OnTaskFailed=: failed or canceled */
        HOOK_ON_INSTANCE_FAILED, /* OnInstanceFailed= */
        HOOK_ON_TRANSITION,      /* OnTransition=: every task or instance transition */
        _HOOK_TRIGGER_MAX,
} HookTrigger;

#define HOOK_TRIGGER_BIT(t) (1U << (t))

#define HOOK_TIMEOUT_DEFAULT (5 * USEC_PER_MINUTE)
#define HOOK_KILL_GRACE_DEFAULT (5 * USEC_PER_SEC)
#define HOOK_MAX_CONCURRENT_DEFAULT 4U
#define HOOK_MAX_CONCURRENT_MAX 64U

typedef struct HookCommand {
        char *line;  /* as configured, for logs and the HOOK_COMMAND= field */
        char **argv; /* NULL-terminated; argv[0] is an absolute path */
} HookCommand;

typedef struct HookConfig {
        HookCommand *commands[_HOOK_TRIGGER_MAX];
        size_t n_commands[_HOOK_TRIGGER_MAX];
        usec_t timeout;          /* HookTimeout=; USEC_INFINITY: none */
        usec_t kill_grace;       /* from SIGTERM to SIGKILL after a timeout: not a key */
        unsigned max_concurrent; /* MaxConcurrentHooks= */
} HookConfig;

/* "OnTaskSucceeded", ...; NULL when out of range. */
const char *hook_trigger_to_string(HookTrigger t);
/* The trigger named by a [Hooks] key, or -EINVAL. */
int hook_trigger_from_string(const char *key);

/* Defaults, no commands. Cannot fail. */
void hook_config_init(HookConfig *c);
/* Frees the commands; c is left as after hook_config_init(). */
void hook_config_done(HookConfig *c);
/* A deep copy into dst (which is overwritten, not freed). 0 or -ENOMEM. */
int hook_config_copy(HookConfig *dst, const HookConfig *src);
/* Number of commands over all triggers. */
size_t hook_config_n_commands(const HookConfig *c);

/* Splits command_line (see hook_command_split()) and appends it to the trigger's list; ""
 * clears the list. On a bad command line returns -EINVAL and, when ret_error is not NULL,
 * sets *ret_error to an explanation without "file:line:" (the caller adds that). */
int hook_config_add(HookConfig *c, HookTrigger trigger, const char *command_line,
                    char **ret_error);

/* Any [Hooks] key: OnTaskSucceeded=, OnTaskFailed=, OnInstanceFailed=, OnTransition=,
 * HookTimeout= (a time span > 0 or "infinity"; "" restores 5min), MaxConcurrentHooks= (1..64;
 * "" restores 4). -ENOENT for an unknown key (no *ret_error), -EINVAL with *ret_error for a
 * bad value, -ENOMEM. */
int hook_config_assign(HookConfig *c, const char *key, const char *value, char **ret_error);

/* Splits a command line like systemd's ExecStart=: words separated by blanks; double or
 * single quotes group words (they may start mid-word: a"b c" is one word "ab c"; "" is an
 * empty word); backslash escapes inside and outside quotes: \\ \" \' \<space> \s \t \n \r
 * \a \b \f \v \xHH \NNN (octal). No variable expansion, no specifiers, no shell: write
 * "/bin/sh -c '...'" for one. The first word must be an absolute path. On success *ret_argv
 * is a NULL-terminated array; -EINVAL with *ret_error (may be NULL) otherwise, -ENOMEM. */
int hook_command_split(const char *line, char ***ret_argv, char **ret_error);
