// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel TCP transport.  Sockets are created in the network namespace
 * of the process that started the push or the receiver (the caller holds a
 * reference on it for the socket's lifetime).
 */
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "dm-migrate.h"
#include "transport.h"

/*
 * Socket options for a replication link: no Nagle delay (acks and small
 * control messages must not wait), keepalives and a user timeout so that a
 * peer that vanished is noticed in seconds, not hours.
 */
static void mig_sock_tune(struct socket *sock)
{
	struct sock *sk = sock->sk;

	sk->sk_allocation = GFP_NOIO;
	/* Sent from the I/O path: never borrow the task's page fragment. */
	sk->sk_use_task_frag = false;
	tcp_sock_set_nodelay(sk);
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, 5);
	tcp_sock_set_keepintvl(sk, 2);
	tcp_sock_set_keepcnt(sk, 3);
	tcp_sock_set_user_timeout(sk, 6000);
}

static int mig_sock_create(struct net *net, const struct mig_addr *addr,
			   struct socket **sock)
{
	return sock_create_kern(net, addr->ss.ss_family, SOCK_STREAM,
				IPPROTO_TCP, sock);
}

int mig_sock_open(struct net *net, const struct mig_addr *addr,
		  struct socket **out)
{
	int r = mig_sock_create(net, addr, out);

	if (!r)
		mig_sock_tune(*out);
	return r;
}

int mig_sock_connect(struct socket *sock, const struct mig_addr *addr,
		     unsigned long timeout)
{
	int r;

	mig_sock_set_timeouts(sock, MAX_SCHEDULE_TIMEOUT, timeout);
	r = kernel_connect(sock, (struct sockaddr *)&addr->ss, addr->len, 0);
	/* A connect that timed out reports -EINPROGRESS. */
	return r == -EINPROGRESS ? -ETIMEDOUT : r;
}

void mig_sock_set_timeouts(struct socket *sock, long rcv, long snd)
{
	WRITE_ONCE(sock->sk->sk_rcvtimeo, rcv);
	WRITE_ONCE(sock->sk->sk_sndtimeo, snd);
}

void mig_sock_memalloc(struct socket *sock, bool on)
{
	if (on)
		sk_set_memalloc(sock->sk);
	else
		sk_clear_memalloc(sock->sk);
}

/*
 * sk_set_memalloc() turns memalloc_socks_key on when the first such socket
 * appears and off when the last goes: a live text patch of the skb
 * allocator on every push start and end, with the other CPUs sending.
 * One reference for the module's lifetime makes those flips plain counts:
 * the key changes at load and unload only, when no push runs.  The cost,
 * while the module is loaded: every receive allocation on the host may
 * dip into the reserves (__GFP_MEMALLOC), and under memory pressure such
 * packets are dropped for sockets that are not SOCK_MEMALLOC.
 */
void mig_transport_module_init(void)
{
	static_branch_inc(&memalloc_socks_key);
}

void mig_transport_module_exit(void)
{
	static_branch_dec(&memalloc_socks_key);
}

u32 mig_sock_bytes_acked(struct socket *sock)
{
	return READ_ONCE(tcp_sk(sock->sk)->snd_una);
}

u32 mig_sock_bytes_queued(struct socket *sock)
{
	return READ_ONCE(tcp_sk(sock->sk)->write_seq);
}

bool mig_sock_payload_ready(struct socket *sock, u32 len)
{
	return tcp_inq(sock->sk) >= (int)len;
}

void mig_sock_peer_text(struct socket *sock, char *buf, size_t len)
{
	struct sockaddr_storage ss;

	if (kernel_getpeername(sock, (struct sockaddr *)&ss) < 0)
		strscpy(buf, "-", len);
	else
		snprintf(buf, len, "%pISpc", &ss);
}

int mig_sock_listen(struct net *net, const struct mig_addr *addr,
		    struct socket **out)
{
	struct socket *sock;
	int r;

	r = mig_sock_create(net, addr, &sock);
	if (r)
		return r;
	sock_set_reuseaddr(sock->sk);
	r = kernel_bind(sock, (struct sockaddr *)&addr->ss, addr->len);
	if (!r)
		r = kernel_listen(sock, 64);
	if (r) {
		sock_release(sock);
		return r;
	}
	*out = sock;
	return 0;
}

int mig_sock_accept(struct socket *listener, struct socket **out)
{
	int r = kernel_accept(listener, out, 0);

	if (!r)
		mig_sock_tune(*out);
	return r;
}

void mig_sock_close(struct socket *sock)
{
	if (!sock)
		return;
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
}

static int send_all(struct socket *sock, struct msghdr *msg)
{
	int r;

	while (msg_data_left(msg)) {
		r = sock_sendmsg(sock, msg);
		if (r <= 0)
			return r ? r : -EPIPE;
	}
	return 0;
}

int mig_send_msg(struct socket *sock, u8 type, u64 seq,
		 const void *p1, u32 l1, const void *p2, u32 l2)
{
	struct dm_migrate_hdr hdr;
	struct kvec iov[3];
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t total = sizeof(hdr) + l1 + l2;
	int n = 1;

	mig_wire_hdr(&hdr, type, l1 + l2, seq);
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	if (l1) {
		iov[n].iov_base = (void *)p1;
		iov[n++].iov_len = l1;
	}
	if (l2) {
		iov[n].iov_base = (void *)p2;
		iov[n++].iov_len = l2;
	}
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, iov, n, total);
	return send_all(sock, &msg);
}

int mig_recv(struct socket *sock, void *buf, size_t len)
{
	return mig_recv_ticking(sock, buf, len, NULL, NULL);
}

int mig_recv_ticking(struct socket *sock, void *buf, size_t len,
		     int (*tick)(void *arg), void *arg)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int r;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &iov, 1, len);
	while (msg_data_left(&msg)) {
		r = sock_recvmsg(sock, &msg, MSG_WAITALL);
		if (r > 0)
			continue;
		if (r == -EAGAIN && tick) {
			r = tick(arg);
			if (!r)
				continue;
		}
		if (r == -EAGAIN)
			r = -ETIMEDOUT;
		return r ? r : -ECONNRESET;
	}
	return 0;
}

struct deadline {
	struct socket *sock;
	unsigned long at;		/* jiffies */
};

/* Wait at most until the deadline, however the bytes trickle in. */
static int deadline_tick(void *arg)
{
	struct deadline *d = arg;
	long left = (long)(d->at - jiffies);

	if (left <= 0)
		return -ETIMEDOUT;
	WRITE_ONCE(d->sock->sk->sk_rcvtimeo, left);
	return 0;
}

int mig_recv_by(struct socket *sock, void *buf, size_t len,
		unsigned long deadline)
{
	struct deadline d = { .sock = sock, .at = deadline };
	int r = deadline_tick(&d);

	return r ?: mig_recv_ticking(sock, buf, len, deadline_tick, &d);
}

int mig_send_parts(struct socket *sock, const void *p1, size_t l1,
		   const void *p2, size_t l2)
{
	struct kvec iov[2] = {
		{ .iov_base = (void *)p1, .iov_len = l1 },
		{ .iov_base = (void *)p2, .iov_len = l2 },
	};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, iov, 2, l1 + l2);
	return send_all(sock, &msg);
}

void mig_send_error(struct socket *sock, u32 code, const char *text)
{
	struct dm_migrate_error err = { .code = cpu_to_be32(code) };

	strscpy(err.text, text, sizeof(err.text));
	mig_send_msg(sock, DM_MIGRATE_MSG_ERROR, 0, &err, sizeof(err), NULL, 0);
}
