/*
 * old_caller.c — the call of a program built against the first release's
 * header, where strata_arena_opts_init was an exported function.  This
 * file declares it as that header did and does not see today's strata.h,
 * whose strata_arena_opts_init is inline.
 */
#include <stddef.h>

typedef struct opts_v1 opts_v1_t;

void strata_arena_opts_init(opts_v1_t *opts);
void old_caller_opts_init(opts_v1_t *opts);

void old_caller_opts_init(opts_v1_t *opts) { strata_arena_opts_init(opts); }
