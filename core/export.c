/*
 * export.c — the periodic Prometheus export: when it is due, and the
 * atomic rewrite of the file (write PATH.tmp, rename).  There is no
 * fsync: rename is what makes a reader see a whole file, and figures lost
 * in a crash are worth nothing, while an fsync would stall the purger.
 * Only the background thread calls export_tick, so next_ns needs no lock.
 */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "stats.h"

static uint64_t next_ns;

typedef struct export_file {
	int fd;
	int error; /* first write error, or 0 */
} export_file_t;

static void write_file(void *opaque, const char *text) {
	export_file_t *f = opaque;
	size_t len = strlen(text);
	while (len > 0 && f->error == 0) {
		ssize_t n = write(f->fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->error = n < 0 ? errno : EIO;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
}

int export_write(void) {
	char tmp[CONF_PATH_BYTES + 8];
	if (!export_is_on())
		return EINVAL;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.stats_export);
	export_file_t f = { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	                         0644), 0 };
	if (f.fd < 0)
		return errno;
	stats_print_prometheus(write_file, &f, opt.stats_export_threads);
	if (close(f.fd) != 0 && f.error == 0)
		f.error = errno;
	if (f.error == 0 && rename(tmp, opt.stats_export) != 0)
		f.error = errno;
	if (f.error != 0)
		unlink(tmp);
	return f.error;
}

uint64_t export_tick(uint64_t now_ns) {
	if (!export_is_on())
		return UINT64_MAX;
	if (now_ns >= next_ns) {
		(void)export_write(); /* a failed write is retried next time */
		next_ns = now_ns + (uint64_t)opt.stats_export_interval_ms * 1000000u;
	}
	return next_ns;
}
