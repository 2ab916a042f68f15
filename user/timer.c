// SPDX-License-Identifier: GPL-2.0
/*
 * timer.c - host timers behind the guest's timers (PIT, LAPIC timer).
 *
 * A device model cannot run "in the background" while the guest runs:
 * the runner is one thread that sits in THV_RUN.  So each emulated
 * timer is backed by a POSIX timer (timer_create(2) on CLOCK_MONOTONIC)
 * that sends a real-time signal.  A signal pending for the thread makes
 * thv.ko leave the guest and return -EINTR from THV_RUN (the same path
 * Ctrl-C takes); the handler below only counts the expiry and sets
 * request_immediate_exit, in case we were out of the guest already.  The
 * vCPU loop then asks each device to turn its counts into interrupts.
 *
 * setitimer()/alarm() are not used: alarm() is --timeout's (SIGALRM).
 * The handler runs with SA_RESTART, so a tick that lands in the middle
 * of writing the guest's output to stdout restarts the write() instead
 * of failing it; THV_RUN itself returns -EINTR either way.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "thv.h"

static timer_t host_timers[HOST_TIMER_MAX];
static bool host_timer_made[HOST_TIMER_MAX];
static unsigned int host_timer_counts[HOST_TIMER_MAX];
static struct thv_run *volatile host_timer_run;

uint64_t host_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int host_timer__signal(void)
{
	return SIGRTMIN;
}

static void host_timer__handler(int sig, siginfo_t *si, void *uc)
{
	int id = si->si_value.sival_int;

	(void)sig;
	(void)uc;
	if (id >= 0 && id < HOST_TIMER_MAX)
		__atomic_fetch_add(&host_timer_counts[id], 1,
				   __ATOMIC_SEQ_CST);
	if (host_timer_run)
		host_timer_run->request_immediate_exit = 1;
}

int host_timer__init(struct thv_run *run)
{
	struct sigaction sa;
	struct sigevent sev;
	int id;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = host_timer__handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(host_timer__signal(), &sa, NULL) < 0)
		return -errno;
	host_timer_run = run;
	for (id = 0; id < HOST_TIMER_MAX; id++) {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = host_timer__signal();
		sev.sigev_value.sival_int = id;
		if (timer_create(CLOCK_MONOTONIC, &sev, &host_timers[id]) < 0)
			return -errno;
		host_timer_made[id] = true;
	}
	return 0;
}

void host_timer__exit(void)
{
	int id;

	for (id = 0; id < HOST_TIMER_MAX; id++) {
		if (host_timer_made[id])
			timer_delete(host_timers[id]);
		host_timer_made[id] = false;
	}
	host_timer_run = NULL;
}

static void host_timer__set(enum host_timer_id id, uint64_t first_ns,
			    uint64_t period_ns)
{
	struct itimerspec its;

	if (id >= HOST_TIMER_MAX || !host_timer_made[id])
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = first_ns / 1000000000ULL;
	its.it_value.tv_nsec = first_ns % 1000000000ULL;
	its.it_interval.tv_sec = period_ns / 1000000000ULL;
	its.it_interval.tv_nsec = period_ns % 1000000000ULL;
	timer_settime(host_timers[id], 0, &its, NULL);
	/* Expiries of the old setting are stale now. */
	__atomic_store_n(&host_timer_counts[id], 0, __ATOMIC_SEQ_CST);
}

void host_timer__arm(enum host_timer_id id, uint64_t first_ns,
		     uint64_t period_ns)
{
	host_timer__set(id, first_ns ? first_ns : 1, period_ns);
}

void host_timer__disarm(enum host_timer_id id)
{
	/* it_value 0 stops a POSIX timer. */
	host_timer__set(id, 0, 0);
}

unsigned int host_timer__take(enum host_timer_id id)
{
	if (id >= HOST_TIMER_MAX)
		return 0;
	return __atomic_exchange_n(&host_timer_counts[id], 0,
				   __ATOMIC_SEQ_CST);
}
