/* Child processes of the harness (see proc.h); factored out of net.c so `rsplab run` reuses it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/net_io.h"
#include "harness/proc.h"

int proc_stat_read(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = net_file_read_tail(path, buf, sizeof(buf), &len);
	if (rc < 0)
		return rc;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 state, start) != 2)
		return -EBADMSG;
	return 0;
}

bool proc_alive(pid_t pid, unsigned long long start)
{
	char state;
	unsigned long long st;
	int status;

	/* reap it if it is our child */
	waitpid(pid, &status, WNOHANG);
	if (proc_stat_read(pid, &state, &st) < 0)
		return false;
	return st == start && state != 'Z' && state != 'X';
}

int proc_wait_gone(pid_t pid, unsigned long long start, int ms)
{
	int64_t deadline = net_now_ms() + ms;

	while (proc_alive(pid, start)) {
		if (net_now_ms() > deadline)
			return -ETIMEDOUT;
		net_sleep_ms(10);
	}
	return 0;
}

int proc_stop(const char *who, const char *name, pid_t pid, unsigned long long start, int term_ms, int kill_ms)
{
	if (!proc_alive(pid, start))
		return 0;
	kill(pid, SIGTERM);
	if (proc_wait_gone(pid, start, term_ms) == 0)
		return 0;
	fprintf(stderr, "%s: %s (pid %d) ignored SIGTERM for %d ms: SIGKILL\n", who, name, (int)pid, term_ms);
	kill(pid, SIGKILL);
	return proc_wait_gone(pid, start, kill_ms);
}

static pid_t die_with = 0; /* the harness's PID when its children must not outlive it */

void proc_die_with_parent(void)
{
	die_with = getpid();
}

pid_t proc_spawn(const char *who, const char *dir, const char *log, const char *preload, char *const argv[])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* child: own session (a Ctrl-C on the harness reaches only the harness, which then stops us) */
	setsid();
	/* prctl(2): the parent may have died between fork and prctl; then getppid() is no longer it */
	if (die_with && (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != die_with))
		_exit(125);
	signal(SIGPIPE, SIG_DFL);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0 || chdir(dir) < 0)
		_exit(126);
	dup2(null, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (preload)
		setenv("LD_PRELOAD", preload, 1);
	execvp(argv[0], argv);
	dprintf(2, "%s: cannot execute %s: %s\n", who, argv[0], strerror(errno));
	_exit(127);
}
