/*
 * pptap-sim — the simulated clock: a start time plus real elapsed time times a
 * speed factor. Admin requests may set, advance or re-speed it at any moment.
 */
#include <pthread.h>
#include <time.h>

#include "sim.h"

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static pptap_time_ms base_sim;
static int64_t base_real;
static double speed = 1.0;

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Caller holds the lock. */
static pptap_time_ms now_locked(void)
{
    return base_sim + (pptap_time_ms)((double)(real_ms() - base_real) * speed);
}

void sim_clock_init(pptap_time_ms start, double spd)
{
    pthread_mutex_lock(&clock_lock);
    base_sim = start;
    base_real = real_ms();
    speed = spd;
    pthread_mutex_unlock(&clock_lock);
}

pptap_time_ms sim_clock_now(void)
{
    pthread_mutex_lock(&clock_lock);
    pptap_time_ms t = now_locked();
    pthread_mutex_unlock(&clock_lock);
    return t;
}

void sim_clock_set(pptap_time_ms t)
{
    pthread_mutex_lock(&clock_lock);
    base_sim = t;
    base_real = real_ms();
    pthread_mutex_unlock(&clock_lock);
}

void sim_clock_advance(int64_t ms)
{
    pthread_mutex_lock(&clock_lock);
    base_sim = now_locked() + ms;
    base_real = real_ms();
    pthread_mutex_unlock(&clock_lock);
}

void sim_clock_set_speed(double spd)
{
    pthread_mutex_lock(&clock_lock);
    base_sim = now_locked();
    base_real = real_ms();
    speed = spd;
    pthread_mutex_unlock(&clock_lock);
}

double sim_clock_speed(void)
{
    pthread_mutex_lock(&clock_lock);
    double s = speed;
    pthread_mutex_unlock(&clock_lock);
    return s;
}
