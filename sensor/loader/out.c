// SPDX-License-Identifier: Apache-2.0
/* The loader's output: frames queued for stdout, written as the reader takes them (out.h). */
#define _GNU_SOURCE
#include "out.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUT_BUF (4 << 20)
#define OUT_RESERVE (64 << 10) /* kept for acks and stats: events never fill it */

/*
 * Frames waiting for stdout, which is non-blocking: a reader that falls behind
 * never blocks this thread. Events stop at OUT_BUF - OUT_RESERVE; the sample
 * that did not fit is held and the ring buffer is left alone until there is
 * room again (it keeps what comes meanwhile, or drops and counts it).
 */
static struct {
	unsigned char *buf;
	size_t start, len;
	__u64 frames;
	_Alignas(8) unsigned char held[WD_FRAME_MAX];
	size_t held_size;
} out;

static __u64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static __u64 boot_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void wd_frame_header(struct wd_header *h, __u16 type, __u32 size)
{
	h->version = WD_WIRE_VERSION;
	h->type = type;
	h->size = size;
	h->time_ns = boot_ns();
}

int wd_out_init(void)
{
	out.buf = malloc(OUT_BUF);
	return out.buf ? 0 : -ENOMEM;
}

void wd_out_free(void)
{
	free(out.buf);
	out.buf = NULL;
}

static void compact_out(void)
{
	memmove(out.buf, out.buf + out.start, out.len - out.start);
	out.len -= out.start;
	out.start = 0;
}

/* Writes what stdout takes now; -errno when the reader is gone. */
int wd_out_flush(void)
{
	while (out.len > out.start) {
		ssize_t n = write(STDOUT_FILENO, out.buf + out.start, out.len - out.start);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		out.start += n;
	}
	if (out.start == out.len || out.start > OUT_BUF / 2)
		compact_out();
	return 0;
}

static bool room_for(size_t size, size_t limit)
{
	if (out.len + size > limit)
		compact_out();
	return out.len + size <= limit;
}

static void put(const void *data, size_t size)
{
	memcpy(out.buf + out.len, data, size);
	out.len += size;
	out.frames++;
}

/* A loader message (ack, stats, ready): it may use the reserve. */
int wd_out_frame(const void *data, size_t size)
{
	if (!room_for(size, OUT_BUF))
		return -ENOSPC;
	put(data, size);
	return 0;
}

/* An event or a gate report: non-zero when it must wait for room. */
int wd_out_event(const void *data, size_t size)
{
	if (out.held_size || !room_for(size, OUT_BUF - OUT_RESERVE))
		return -ENOSPC;
	put(data, size);
	return 0;
}

bool wd_out_room_for_frame(size_t size)
{
	return room_for(size, OUT_BUF);
}

void wd_out_hold(const void *data, size_t size)
{
	memcpy(out.held, data, size);
	out.held_size = size;
}

/* The held sample goes out first once there is room; true when nothing is held. */
bool wd_out_release(void)
{
	if (!out.held_size)
		return true;
	if (!room_for(out.held_size, OUT_BUF - OUT_RESERVE))
		return false;
	put(out.held, out.held_size);
	out.held_size = 0;
	return true;
}

bool wd_out_holding(void)
{
	return out.held_size != 0;
}

bool wd_out_waiting(void)
{
	return out.len > out.start;
}

__u64 wd_out_frames(void)
{
	return out.frames;
}

/* At exit: what is left goes out if the reader takes it within a bound, never longer. */
void wd_out_flush_bounded(int timeout_ms)
{
	__u64 deadline = now_ns() + (__u64)timeout_ms * 1000000ull;
	while (out.len > out.start && wd_out_flush() == 0) {
		__u64 now = now_ns();
		if (now >= deadline)
			break;
		struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
		poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
	}
}
