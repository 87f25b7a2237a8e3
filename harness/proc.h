/* Child processes of the harness, shared by `rsplab net` (net.c) and `rsplab run` (harness/run/): start a
 * daemon in its own session with its output appended to a log file, tell whether it is still the same
 * live process (PID + start time from /proc, so a recycled PID is never mistaken for it), and stop it
 * with SIGTERM, then SIGKILL after a bound. Every wait is bounded; nothing blocks longer than asked.
 *
 * Return values: 0 or a negative errno (-ETIMEDOUT when a bound expired); proc_spawn() a PID or -errno. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* /proc/PID/stat: state (field 3) and start time (field 22). */
int proc_stat_read(pid_t pid, char *state, unsigned long long *start);

/* Alive (not a zombie) and the same process (start time)? Reaps it if it is our child and has exited. */
bool proc_alive(pid_t pid, unsigned long long start);

/* Wait up to ms for the process to be gone. */
int proc_wait_gone(pid_t pid, unsigned long long start, int ms);

/* SIGTERM; SIGKILL if it is still there after term_ms (saying so on stderr, prefixed with who and
 * name); 0 when gone within kill_ms more. A process already gone is 0. */
int proc_stop(const char *who, const char *name, pid_t pid, unsigned long long start, int term_ms, int kill_ms);

/* fork + exec argv[0] (PATH search) in dir, in a new session, stdin /dev/null, stdout+stderr appended to
 * log, LD_PRELOAD=preload when not NULL. who prefixes the child's own exec error in the log. */
pid_t proc_spawn(const char *who, const char *dir, const char *log, const char *preload, char *const argv[]);

/* From now on, children spawned by this process get SIGTERM when it dies, however it dies (even
 * SIGKILL or a crash): `rsplab run` owns its daemons; `rsplab net up` leaves them running on purpose. */
void proc_die_with_parent(void);
