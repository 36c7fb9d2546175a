/*
 * runaway.c — a runaway allocation loop under mem_limit_hard gets NULL and
 * ENOMEM and goes on: it frees half, allocates again, and exits 0 when
 * every failure was a clean NULL + ENOMEM, the limit was actually hit,
 * and the blocks it kept are intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS (1u << 20)

int main(void) {
	static unsigned char *blocks[MAX_BLOCKS];
	size_t n = 0, failures = 0;
	for (unsigned round = 0; round < 3; round++) {
		while (n < MAX_BLOCKS) {
			size_t size = 1000 + (n % 7) * 3000;
			errno = 0;
			unsigned char *p = malloc(size);
			if (p == NULL) {
				if (errno != ENOMEM) {
					printf("NULL with errno %d\n", errno);
					return 1;
				}
				failures++;
				break;
			}
			memset(p, (int)(n & 0xff), size);
			blocks[n++] = p;
		}
		if (n == MAX_BLOCKS) {
			printf("the limit was never hit\n");
			return 1;
		}
		for (size_t i = 0; i < n; i++) /* the kept data is intact */
			if (blocks[i][0] != (unsigned char)(i & 0xff)) {
				printf("block %zu corrupted\n", i);
				return 1;
			}
		for (size_t i = n / 2; i < n; i++)
			free(blocks[i]);
		n /= 2;
	}
	/* Large and huge requests fail cleanly too. */
	errno = 0;
	/* Through a volatile pointer: a block only compared with NULL and
	 * never freed may be assumed non-NULL and its malloc removed. */
	void *(*volatile const malloc_v)(size_t) = malloc;
	void *big = malloc_v((size_t)512 << 20);
	if (big != NULL || errno != ENOMEM) {
		printf("512 MiB beyond the limit: %p errno %d\n", big, errno);
		return 1;
	}
	printf("runaway loop: %zu clean ENOMEM failures, %zu blocks kept\n",
	       failures, n);
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	return 0;
}
