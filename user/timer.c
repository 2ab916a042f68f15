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
 *
 * Guest time.  While the exit stepper (`--step`) waits at its prompt,
 * the guest is not running: no time should pass for it, or a student
 * who reads the registers for a minute comes back to a timer that has
 * long expired (and to a PIT count that jumped).  host_timer__pause()
 * stops every armed timer and remembers what was left of it;
 * host_timer__resume() starts them again with exactly that much left,
 * so each deadline moves by the paused time.  The device models read
 * their counters against guest_clock_ns(), CLOCK_MONOTONIC minus all
 * the paused time, so their counts stand still too.  (A hardware debugger
 * that halts a real CPU cannot stop the timers around it; a hypervisor
 * can, as QEMU stops its virtual clock while a VM is paused.)
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

/* host_timer__pause(): what each timer had left; the paused time. */
static struct itimerspec host_timer_left[HOST_TIMER_MAX];
static bool host_timer_paused;
static uint64_t host_pause_start_ns, host_paused_ns;

uint64_t host_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t guest_clock_ns(void)
{
	uint64_t now = host_timer_paused ? host_pause_start_ns :
		       host_clock_ns();

	return now - host_paused_ns;
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
	if (host_timer_paused) {
		/* Armed at a stop: it starts when the guest runs again. */
		host_timer_left[id] = its;
		its.it_value.tv_sec = its.it_value.tv_nsec = 0;
	}
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

void host_timer__pause(void)
{
	static const struct itimerspec stop;	/* it_value 0: disarm */
	int id;

	if (host_timer_paused)
		return;
	host_pause_start_ns = host_clock_ns();
	host_timer_paused = true;
	for (id = 0; id < HOST_TIMER_MAX; id++) {
		if (!host_timer_made[id])
			continue;
		/*
		 * Disarming returns what was left (it_value) and the period
		 * in one call.  Expiries counted before the pause stay: they
		 * happened while the guest ran.
		 */
		timer_settime(host_timers[id], 0, &stop, &host_timer_left[id]);
	}
}

void host_timer__resume(void)
{
	int id;

	if (!host_timer_paused)
		return;
	host_timer_paused = false;
	host_paused_ns += host_clock_ns() - host_pause_start_ns;
	for (id = 0; id < HOST_TIMER_MAX; id++) {
		struct itimerspec *its = &host_timer_left[id];

		if (!host_timer_made[id] ||
		    (!its->it_value.tv_sec && !its->it_value.tv_nsec))
			continue;	/* it was not armed */
		timer_settime(host_timers[id], 0, its, NULL);
		memset(its, 0, sizeof(*its));
	}
}
