// SPDX-License-Identifier: GPL-2.0
/*
 * nlbad: send malformed, truncated, unknown-attribute and unprivileged
 * requests to the dm-migrate generic netlink family, and check that each
 * is refused with the expected errno (and, where the module explains, an
 * extended-ack message).  The messages are built by hand, byte by byte,
 * since libnl would refuse to build most of them; libnl only resolves the
 * family id.
 *
 * Usage: nlbad MIGRATE_MAJ:MIN LINEAR_MAJ:MIN
 *   MIGRATE: a migrate device in the tracking mode (left unchanged)
 *   LINEAR:  a dm device that is not a migrate device
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest.h"
#include <linux/dm-migrate.h>

static int family;

struct req {
	unsigned char buf[4096];
	size_t len;
};

static void start(struct req *r, int type, int cmd)
{
	struct nlmsghdr *n = (struct nlmsghdr *)r->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(r->buf + NLMSG_HDRLEN);

	memset(r, 0, sizeof(*r));
	n->nlmsg_type = type;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = DM_MIGRATE_GENL_VERSION;
	r->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute with exactly @len payload bytes. */
static void attr(struct req *r, int type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + r->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(r->buf + r->len + NLA_HDRLEN, data, len);
	r->len += NLA_ALIGN(a->nla_len);
}

static void attr_u32(struct req *r, int type, unsigned int v)
{
	attr(r, type, &v, sizeof(v));
}

static void attr_str(struct req *r, int type, const char *s)
{
	attr(r, type, s, strlen(s) + 1);
}

static void dev(struct req *r, const char *majmin)
{
	unsigned int ma, mi;

	if (sscanf(majmin, "%u:%u", &ma, &mi) != 2)
		ksft_exit_fail_msg("bad device number %s\n", majmin);
	attr_u32(r, DM_MIGRATE_A_DEV_MAJOR, ma);
	attr_u32(r, DM_MIGRATE_A_DEV_MINOR, mi);
}

/* Send, return the ack's errno (0, or negative) and the extack text. */
static int send_req(struct req *r, size_t claimed_len, char *msg, size_t msglen)
{
	struct nlmsghdr *n = (struct nlmsghdr *)r->buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	unsigned char rbuf[8192];
	struct timeval tmo = { .tv_sec = 3 };
	int one = 1, err = -EIO;
	ssize_t got;

	if (fd < 0)
		ksft_exit_fail_msg("netlink socket: %s\n", strerror(errno));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	n->nlmsg_len = claimed_len ? claimed_len : r->len;
	msg[0] = '\0';
	if (send(fd, r->buf, r->len, 0) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)rbuf;

		got = recv(fd, rbuf, sizeof(rbuf), 0);
		if (got < 0) {
			err = -errno;
			break;
		}
		for (; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			struct nlattr *a;
			int rem;

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			err = e->error;
			if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
				goto out;
			a = (struct nlattr *)((char *)e + sizeof(*e));
			rem = h->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);
			for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
				if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
					snprintf(msg, msglen, "%s", (char *)a + NLA_HDRLEN);
				else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MISS_TYPE)
					snprintf(msg, msglen, "missing attribute %u",
						 *(unsigned int *)((char *)a + NLA_HDRLEN));
			goto out;
		}
	}
out:
	close(fd);
	return err;
}

/* One case: @want is the errno expected; @need_msg: an extack text too. */
static void expect(const char *what, struct req *r, size_t claimed, int want,
		   bool need_msg)
{
	char msg[256];
	int got = send_req(r, claimed, msg, sizeof(msg));

	ksft_test_result(got == -want && (!need_msg || msg[0]),
			 "%s: %s%s%s\n", what, got ? strerror(-got) : "accepted",
			 msg[0] ? ": " : "", msg);
}

int main(int argc, char **argv)
{
	const char *mig, *lin;
	unsigned char key[32] = { 1 }, shortkey[8] = { 1 };
	struct nl_sock *sk;
	struct req r;
	pid_t pid;
	int status;

	if (argc != 3)
		ksft_exit_fail_msg("usage: nlbad MIGRATE_MAJ:MIN LINEAR_MAJ:MIN\n");
	mig = argv[1];
	lin = argv[2];
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk))
		ksft_exit_fail_msg("cannot connect generic netlink\n");
	family = genl_ctrl_resolve(sk, DM_MIGRATE_GENL_NAME);
	nl_socket_free(sk);
	if (family < 0)
		ksft_exit_fail_msg("dm-migrate family not registered\n");

	ksft_print_header();
	ksft_set_plan(20);

	start(&r, family, DM_MIGRATE_CMD_GET);
	expect("GET without a device", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, mig);
	expect("GET of the migrate device", &r, 0, 0, false);

	start(&r, family, DM_MIGRATE_CMD_GET);
	attr(&r, DM_MIGRATE_A_DEV_MAJOR, "\1\0", 2);
	attr_u32(&r, DM_MIGRATE_A_DEV_MINOR, 0);
	expect("GET with a 2-byte u32", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, mig);
	attr_u32(&r, DM_MIGRATE_A_MAX + 7, 1);
	expect("GET with an unknown attribute", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, mig);
	attr(&r, DM_MIGRATE_A_PHASE, "\2", 1);
	expect("GET with a status attribute in the request", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, mig);
	/* netlink drops a message shorter than its header says, unanswered. */
	expect("message longer than sent (truncated): dropped", &r, r.len + 64, EAGAIN, false);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, mig);
	((struct nlattr *)(r.buf + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len = 200;
	expect("attribute longer than the message", &r, 0, EINVAL, false);

	start(&r, family, 200);
	dev(&r, mig);
	expect("unknown command", &r, 0, EOPNOTSUPP, false);

	start(&r, family, DM_MIGRATE_CMD_GET);
	attr_u32(&r, DM_MIGRATE_A_DEV_MAJOR, 1);
	attr_u32(&r, DM_MIGRATE_A_DEV_MINOR, 1U << 21);
	expect("minor number out of range", &r, 0, ERANGE, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	attr_u32(&r, DM_MIGRATE_A_DEV_MAJOR, 1);
	attr_u32(&r, DM_MIGRATE_A_DEV_MINOR, 3);
	expect("a device that is not device-mapper", &r, 0, ENODEV, true);

	start(&r, family, DM_MIGRATE_CMD_GET);
	dev(&r, lin);
	expect("a dm device that is not a migrate device", &r, 0, ENXIO, true);

	start(&r, family, DM_MIGRATE_CMD_PUSH);
	dev(&r, mig);
	attr(&r, DM_MIGRATE_A_KEY, key, sizeof(key));
	expect("PUSH without a peer", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_PUSH);
	dev(&r, mig);
	attr_str(&r, DM_MIGRATE_A_PEER, "198.18.0.2:7999");
	attr(&r, DM_MIGRATE_A_KEY, shortkey, sizeof(shortkey));
	expect("PUSH with an 8-byte key", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_PUSH);
	dev(&r, mig);
	attr_str(&r, DM_MIGRATE_A_PEER, "198.18.0.2:7999");
	attr(&r, DM_MIGRATE_A_KEY, key, sizeof(key));
	attr_str(&r, DM_MIGRATE_A_KEY_DESC, "logon:dm-migrate:x");
	expect("PUSH with a key and a key description", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_PUSH);
	dev(&r, mig);
	attr_str(&r, DM_MIGRATE_A_PEER, "not-an-address");
	attr(&r, DM_MIGRATE_A_KEY, key, sizeof(key));
	expect("PUSH to a malformed address", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_PUSH);
	dev(&r, mig);
	attr(&r, DM_MIGRATE_A_PEER, "198.18.0.2:7999", 15);	/* no NUL */
	attr(&r, DM_MIGRATE_A_KEY, key, sizeof(key));
	expect("PUSH with an unterminated address", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_SET_LIMITS);
	dev(&r, mig);
	expect("SET_LIMITS without limits", &r, 0, EINVAL, true);

	start(&r, family, DM_MIGRATE_CMD_MIRROR);
	dev(&r, mig);
	expect("MIRROR without a push", &r, 0, ENOENT, true);

	/* Without privilege: state changes and status refused (like dmsetup). */
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		char msg[256];

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		start(&r, family, DM_MIGRATE_CMD_ABORT);
		dev(&r, mig);
		if (send_req(&r, 0, msg, sizeof(msg)) != -EPERM)
			bad |= 1;
		start(&r, family, DM_MIGRATE_CMD_GET);
		dev(&r, mig);
		if (send_req(&r, 0, msg, sizeof(msg)) != -EPERM)
			bad |= 4;
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	ksft_test_result(WIFEXITED(status) && !(WEXITSTATUS(status) & 1),
			 "unprivileged ABORT refused (EPERM)\n");
	ksft_test_result(WIFEXITED(status) && !(WEXITSTATUS(status) & 4),
			 "unprivileged GET refused (EPERM)\n");
	ksft_finished();
}
