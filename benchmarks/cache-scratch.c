/*
 * cache-scratch — passive false sharing (after the Hoard benchmark).
 *
 * The main thread allocates one small object per worker back to back, so
 * they very likely share cache lines, and hands one to each worker.  Each
 * worker frees the object it was given and then repeatedly allocates an
 * object of the same size, writes it --writes times and frees it.  An
 * allocator that gives the freed block (still on a line shared with other
 * threads' blocks) straight back to the freeing thread makes the workers
 * false-share; one that returns remote frees to their owner does not.
 */
#include "false_sharing.h"

int main(int argc, char **argv)
{
    return false_sharing_main(argc, argv, "cache-scratch",
                              "passive false sharing: workers free objects "
                              "the main thread allocated side by side, then "
                              "reuse", true);
}
