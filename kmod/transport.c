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

int mig_addr_parse(const char *s, struct mig_addr *addr)
{
	const char *port_s, *host_end;
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;
	u16 port;

	memset(addr, 0, sizeof(*addr));
	if (strscpy(addr->text, s, sizeof(addr->text)) < 0)
		return -EINVAL;

	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (!host_end || host_end[1] != ':')
			return -EINVAL;
		port_s = host_end + 2;
		if (!in6_pton(s + 1, host_end - s - 1, sin6->sin6_addr.s6_addr,
			      -1, NULL))
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		addr->len = sizeof(*sin6);
	} else {
		host_end = strrchr(s, ':');
		if (!host_end)
			return -EINVAL;
		port_s = host_end + 1;
		if (!in4_pton(s, host_end - s, (u8 *)&sin->sin_addr.s_addr,
			      -1, NULL))
			return -EINVAL;
		sin->sin_family = AF_INET;
		addr->len = sizeof(*sin);
	}
	if (kstrtou16(port_s, 10, &port) || !port)
		return -EINVAL;
	if (addr->ss.ss_family == AF_INET6)
		sin6->sin6_port = htons(port);
	else
		sin->sin_port = htons(port);
	return 0;
}

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

int mig_sock_connect(struct net *net, const struct mig_addr *addr,
		     struct socket **out)
{
	struct socket *sock;
	int r;

	r = mig_sock_create(net, addr, &sock);
	if (r)
		return r;
	mig_sock_tune(sock);
	r = kernel_connect(sock, (struct sockaddr *)&addr->ss, addr->len, 0);
	if (r) {
		sock_release(sock);
		return r;
	}
	*out = sock;
	return 0;
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
		r = kernel_listen(sock, 4);
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

int mig_send_msg(struct socket *sock, u8 type, u64 seq,
		 const void *p1, u32 l1, const void *p2, u32 l2)
{
	struct dm_migrate_hdr hdr;
	struct kvec iov[3];
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t total = sizeof(hdr) + l1 + l2;
	int n = 1, r;

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
	while (msg_data_left(&msg)) {
		r = sock_sendmsg(sock, &msg);
		if (r <= 0)
			return r ? r : -EPIPE;
	}
	return 0;
}

int mig_recv(struct socket *sock, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int r;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &iov, 1, len);
	while (msg_data_left(&msg)) {
		r = sock_recvmsg(sock, &msg, MSG_WAITALL);
		if (r <= 0)
			return r ? r : -ECONNRESET;
	}
	return 0;
}

void mig_send_error(struct socket *sock, u32 code, const char *text)
{
	struct dm_migrate_error err = { .code = cpu_to_be32(code) };

	strscpy(err.text, text, sizeof(err.text));
	mig_send_msg(sock, DM_MIGRATE_MSG_ERROR, 0, &err, sizeof(err), NULL, 0);
}
