/* sctp2tcp.so — LD_PRELOAD shim that carries one-to-one SCTP sockets over TCP, for kernels without
 * SCTP (network-lab §0). Every process on the M3UA path (osmo-stp, osmo-msc, the device simulator) must
 * use it, or speak its framing: it is not SCTP on the wire.
 *
 * What it does:
 *  - socket(AF_INET/AF_INET6, *, IPPROTO_SCTP) returns a TCP socket (TCP_NODELAY) and remembers the fd;
 *    accept()/accept4() on such a listener mark the new fd too; close() forgets it;
 *  - setsockopt/getsockopt at level IPPROTO_SCTP on those fds succeed and do nothing (getsockopt
 *    answers zeros; SCTP_EVENTS the size of struct sctp_event_subscribe, which libosmo-netif probes);
 *  - sctp_bindx()/sctp_connectx() use the first address only;
 *  - sctp_send()/sctp_sendmsg()/sctp_recvmsg() carry one message per frame:
 *        [u32 length][u32 ppid][u16 stream][u16 0] payload        (length/stream big endian; ppid as
 *    the caller gave it in sinfo, i.e. already in network order)
 *    These are the only libsctp calls libosmocore 1.7, libosmo-netif 1.2 and libosmo-sigtran 1.6 make
 *    (sigtran-lab §4). No SCTP notifications are ever produced.
 *
 * Trust: the peer's frames are UNTRUSTED; a frame longer than the caller's buffer fails with EMSGSIZE.
 * Thread safety: the fd table is a plain byte array (the Osmocom daemons are single-threaded).
 * Built as a shared object on its own (-fPIC -shared -ldl), never into librsplab.a. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SHIM_MAX_FD	   65536
#define SHIM_HDR_LEN	   12
#define SHIM_IO_TIMEOUT_MS 5000

static unsigned char shim_fds[SHIM_MAX_FD];

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_close)(int);

__attribute__((constructor)) static void shim_init(void)
{
	real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	real_getsockopt = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

static int shim_is(int fd)
{
	return fd >= 0 && fd < SHIM_MAX_FD && shim_fds[fd];
}

static void shim_mark(int fd, unsigned char on)
{
	if (fd >= 0 && fd < SHIM_MAX_FD)
		shim_fds[fd] = on;
}

int socket(int domain, int type, int protocol)
{
	if (!real_socket)
		shim_init();
	if (protocol != IPPROTO_SCTP || (domain != AF_INET && domain != AF_INET6))
		return real_socket(domain, type, protocol);

	int fd = real_socket(domain, SOCK_STREAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), IPPROTO_TCP);
	if (fd >= 0) {
		int on = 1;
		shim_mark(fd, 1);
		real_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	return fd;
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	if (!real_setsockopt)
		shim_init();
	if (level == IPPROTO_SCTP && shim_is(fd))
		return 0;
	return real_setsockopt(fd, level, optname, optval, optlen);
}

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	if (!real_getsockopt)
		shim_init();
	if (level != IPPROTO_SCTP || !shim_is(fd))
		return real_getsockopt(fd, level, optname, optval, optlen);
	if (!optval || !optlen) {
		errno = EFAULT;
		return -1;
	}
	if (optname == SCTP_EVENTS && *optlen >= sizeof(struct sctp_event_subscribe))
		*optlen = sizeof(struct sctp_event_subscribe);
	memset(optval, 0, *optlen);
	return 0;
}

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	if (!real_accept)
		shim_init();
	int nfd = real_accept(fd, addr, addrlen);
	if (nfd >= 0 && shim_is(fd))
		shim_mark(nfd, 1);
	return nfd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	if (!real_accept4)
		shim_init();
	int nfd = real_accept4(fd, addr, addrlen, flags);
	if (nfd >= 0 && shim_is(fd))
		shim_mark(nfd, 1);
	return nfd;
}

int close(int fd)
{
	if (!real_close)
		shim_init();
	shim_mark(fd, 0);
	return real_close(fd);
}

static socklen_t shim_addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int sctp_bindx(int fd, struct sockaddr *addrs, int addrcnt, int flags)
{
	if (!addrs || addrcnt < 1) {
		errno = EINVAL;
		return -1;
	}
	return bind(fd, addrs, shim_addr_len(addrs));
}

int sctp_connectx(int fd, struct sockaddr *addrs, int addrcnt, sctp_assoc_t *id)
{
	if (!addrs || addrcnt < 1) {
		errno = EINVAL;
		return -1;
	}
	if (id)
		*id = 1;
	return connect(fd, addrs, shim_addr_len(addrs));
}

/* Wait for fd to become ready; 1 ready, 0 timeout, -1 error. */
static int shim_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do {
		rc = poll(&p, 1, SHIM_IO_TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

/* Write all of iov (the header and the message go out together, also on non-blocking sockets). */
static int shim_write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (shim_wait(fd, POLLOUT) <= 0) {
					errno = EIO;
					return -1;
				}
				continue;
			}
			return -1;
		}
		while (iovcnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read exactly len bytes. At a frame start (may_block_first == 0) a non-blocking socket with nothing
 * to read gives -1/EAGAIN as usual; once a frame has started, the rest is waited for (bounded).
 * Returns len, 0 for an orderly close before the first byte of a frame, -1 on error. */
static ssize_t shim_read_all(int fd, uint8_t *buf, size_t len, int frame_start)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = recv(fd, buf + got, len - got, 0);
		if (r == 0) {
			if (got == 0 && frame_start)
				return 0;
			errno = ECONNRESET;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && !(got == 0 && frame_start)) {
				if (shim_wait(fd, POLLIN) <= 0) {
					errno = EIO;
					return -1;
				}
				continue;
			}
			return -1;
		}
		got += (size_t)r;
		frame_start = 0;
	}
	return (ssize_t)len;
}

static int shim_send_frame(int fd, const void *msg, size_t len, uint32_t ppid_be, uint16_t stream)
{
	uint8_t hdr[SHIM_HDR_LEN];
	uint32_t l = htonl((uint32_t)len);
	uint16_t s = htons(stream);

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(hdr, &l, 4);
	memcpy(hdr + 4, &ppid_be, 4);
	memcpy(hdr + 8, &s, 2);
	hdr[10] = hdr[11] = 0;
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)msg, len } };
	if (shim_write_all(fd, iov, len ? 2 : 1) < 0)
		return -1;
	return (int)len;
}

int sctp_send(int fd, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo, int flags)
{
	return shim_send_frame(fd, msg, len, sinfo ? sinfo->sinfo_ppid : 0, sinfo ? sinfo->sinfo_stream : 0);
}

int sctp_sendmsg(int fd, const void *msg, size_t len, struct sockaddr *to, socklen_t tolen, uint32_t ppid,
		 uint32_t flags, uint16_t stream_no, uint32_t timetolive, uint32_t context)
{
	return shim_send_frame(fd, msg, len, ppid, stream_no);
}

int sctp_recvmsg(int fd, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
		 struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	uint8_t hdr[SHIM_HDR_LEN];
	uint32_t l, ppid;
	uint16_t stream;
	ssize_t r = shim_read_all(fd, hdr, sizeof(hdr), 1);

	if (r <= 0)
		return (int)r;
	memcpy(&l, hdr, 4);
	memcpy(&ppid, hdr + 4, 4);
	memcpy(&stream, hdr + 8, 2);
	l = ntohl(l);
	if (l > len || l > INT32_MAX) {
		/* The stream cannot be resynchronised after a frame we cannot take. */
		errno = EMSGSIZE;
		return -1;
	}
	if (l && shim_read_all(fd, msg, l, 0) < 0)
		return -1;
	if (sinfo) {
		memset(sinfo, 0, sizeof(*sinfo));
		sinfo->sinfo_ppid = ppid;
		sinfo->sinfo_stream = ntohs(stream);
		sinfo->sinfo_assoc_id = 1;
	}
	if (msg_flags)
		*msg_flags = MSG_EOR;
	if (from && fromlen)
		getpeername(fd, from, fromlen);
	return (int)l;
}
