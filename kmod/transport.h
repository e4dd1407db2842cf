/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel TCP transport: addresses, sockets in a given network
 * namespace, and whole-message send and receive.
 */
#ifndef DM_MIGRATE_TRANSPORT_H
#define DM_MIGRATE_TRANSPORT_H

#include <linux/net.h>
#include <linux/socket.h>
#include <net/net_namespace.h>

#include "wire.h"

struct mig_addr {
	struct sockaddr_storage ss;
	int len;
	char text[64];		/* as the operator wrote it */
};

/* Parse "A.B.C.D:PORT" or "[IPV6]:PORT". */
int mig_addr_parse(const char *s, struct mig_addr *addr);

int mig_sock_connect(struct net *net, const struct mig_addr *addr,
		     struct socket **out);
int mig_sock_listen(struct net *net, const struct mig_addr *addr,
		    struct socket **out);
int mig_sock_accept(struct socket *listener, struct socket **out);
void mig_sock_close(struct socket *sock);

/* Send a header and up to two payload pieces as one message. */
int mig_send_msg(struct socket *sock, u8 type, u64 seq,
		 const void *p1, u32 l1, const void *p2, u32 l2);
/* Receive exactly @len bytes. */
int mig_recv(struct socket *sock, void *buf, size_t len);
/* Send an ERROR with a code and text, best effort. */
void mig_send_error(struct socket *sock, u32 code, const char *text);

#endif /* DM_MIGRATE_TRANSPORT_H */
