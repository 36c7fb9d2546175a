/*
 * cache-thrash — active false sharing (after the Hoard benchmark).
 *
 * --threads threads each repeatedly allocate a small object of --objsize
 * bytes, write every byte of it --writes times and free it.  If the
 * allocator hands objects on the same cache line to different threads at
 * the same time, the writes bounce that line between cores and the run
 * slows down sharply.  An allocator with per-thread (or per-CPU) heaps
 * keeps each thread's objects on its own lines.
 */
#include "false_sharing.h"

int main(int argc, char **argv)
{
    return false_sharing_main(argc, argv, "cache-thrash",
                              "active false sharing: concurrent threads "
                              "write their own small objects", false);
}
