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

#include "args.h"
#include "wire.h"

/* A TCP socket tuned for a replication link, not connected yet. */
int mig_sock_open(struct net *net, const struct mig_addr *addr,
		  struct socket **out);
/* Connect, giving up after @timeout jiffies (-ETIMEDOUT). */
int mig_sock_connect(struct socket *sock, const struct mig_addr *addr,
		     unsigned long timeout);
/* Receive and send timeouts in jiffies (MAX_SCHEDULE_TIMEOUT: none). */
void mig_sock_set_timeouts(struct socket *sock, long rcv, long snd);
/*
 * Let an authenticated replication socket use the memory reserves (the
 * volume it serves may be under writeback, even swap); undo before
 * release.
 */
void mig_sock_memalloc(struct socket *sock, bool on);
/*
 * Hold the kernel's "some socket uses the reserves" key on for as long as
 * the module is loaded, so that a push starting or ending does not patch
 * kernel text (a static key flip) while the network stack runs.
 */
void mig_transport_module_init(void);
void mig_transport_module_exit(void);
/* TCP's count of our bytes the peer acknowledged (wraps; a hint). */
u32 mig_sock_bytes_acked(struct socket *sock);
/* TCP's sequence after the last byte we queued (the thread's own). */
u32 mig_sock_bytes_queued(struct socket *sock);
/* Whether @len received bytes are waiting to be read (a hint). */
bool mig_sock_payload_ready(struct socket *sock, u32 len);
/* The peer's address as text ("198.18.0.1:40312"), or "-". */
void mig_sock_peer_text(struct socket *sock, char *buf, size_t len);
int mig_sock_listen(struct net *net, const struct mig_addr *addr,
		    struct socket **out);
int mig_sock_accept(struct socket *listener, struct socket **out);
void mig_sock_close(struct socket *sock);

/* Send a header and up to two payload pieces as one message, in clear. */
int mig_send_msg(struct socket *sock, u8 type, u64 seq,
		 const void *p1, u32 l1, const void *p2, u32 l2);
/* Send @l1 bytes at @p1 then @l2 at @p2 (a message built by the caller). */
int mig_send_parts(struct socket *sock, const void *p1, size_t l1,
		   const void *p2, size_t l2);
/* Receive exactly @len bytes. */
int mig_recv(struct socket *sock, void *buf, size_t len);
/*
 * Receive exactly @len bytes; each time the socket's receive timeout
 * passes with nothing read, call @tick, which ends the wait with its
 * error or lets it go on (returning 0).  Bytes already read are kept.
 */
int mig_recv_ticking(struct socket *sock, void *buf, size_t len,
		     int (*tick)(void *arg), void *arg);
/* Receive exactly @len bytes by @deadline (jiffies), else -ETIMEDOUT. */
int mig_recv_by(struct socket *sock, void *buf, size_t len,
		unsigned long deadline);
/* Send an ERROR with a code and text, best effort. */
void mig_send_error(struct socket *sock, u32 code, const char *text);

#endif /* DM_MIGRATE_TRANSPORT_H */
