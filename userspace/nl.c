// SPDX-License-Identifier: GPL-2.0
/* The dm-migrate generic netlink family, through libnl-genl (nl.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

#include "err.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int open_sock(struct mdm_nl *nl)
{
	int one = 1, fd;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk || genl_connect(nl->sk)) {
		mdm_err("cannot open a generic netlink socket: %s (is netlink available in this namespace?)",
			strerror(errno));
		return MDM_EXIT_ENV;
	}
	/* Ask for the kernel's explanation with errors, without the echo. */
	fd = nl_socket_get_fd(nl->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, DM_MIGRATE_GENL_NAME);
	if (nl->family < 0) {
		mdm_err("the dm-migrate module is not loaded (modprobe dm-migrate)");
		return MDM_EXIT_ENV;
	}
	return 0;
}

int mdm_nl_open(struct mdm_nl *nl)
{
	return open_sock(nl);
}

int mdm_nl_open_events(struct mdm_nl *nl)
{
	int r = open_sock(nl), grp;

	if (r)
		return r;
	grp = genl_ctrl_resolve_grp(nl->sk, DM_MIGRATE_GENL_NAME,
				    DM_MIGRATE_GENL_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(nl->sk, grp)) {
		mdm_err("cannot join the dm-migrate events group: %s (is the loaded dm-migrate module this version?)",
			nl_geterror(grp < 0 ? grp : -NLE_FAILURE));
		return MDM_EXIT_ENV;
	}
	return 0;
}

void mdm_nl_close(struct mdm_nl *nl)
{
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *mdm_nl_msg(struct mdm_nl *nl, uint8_t cmd,
			  const struct mdm_dev *dev, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, DM_MIGRATE_GENL_VERSION) ||
	    (dev && (nla_put_u32(msg, DM_MIGRATE_A_DEV_MAJOR, dev->major) ||
		     nla_put_u32(msg, DM_MIGRATE_A_DEV_MINOR, dev->minor)))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void copy_str(char *dst, size_t len, struct nlattr *a)
{
	dst[0] = '\0';
	if (a)
		snprintf(dst, len, "%s", nla_get_string(a));
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

/* A u64 that may be absent: -1 then. */
static int64_t get_opt_u64(struct nlattr *a)
{
	return a ? (int64_t)nla_get_u64(a) : -1;
}

static int get_u8(struct nlattr *a)
{
	return a ? nla_get_u8(a) : 0;
}

/* Nested u64s, attribute type encoding + 1. */
static void decode_enc_chunks(struct nlattr *nest, struct mdm_status *st)
{
	struct nlattr *a;
	int rem;

	if (!nest)
		return;
	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);

		if (type >= 1 && type <= __DM_MIGRATE_ENC_MAX && nla_len(a) == 8)
			st->enc_chunks[type - 1] = nla_get_u64(a);
	}
}

static void decode(struct nlattr **tb, struct mdm_status *st)
{
	memset(st, 0, sizeof(*st));
	copy_str(st->name, sizeof(st->name), tb[DM_MIGRATE_A_DEV_NAME]);
	copy_str(st->peer, sizeof(st->peer), tb[DM_MIGRATE_A_PEER]);
	copy_str(st->last_error, sizeof(st->last_error), tb[DM_MIGRATE_A_LAST_ERROR]);
	copy_str(st->source, sizeof(st->source), tb[DM_MIGRATE_A_SOURCE_ADDR]);
	st->window_peak = get_u32(tb[DM_MIGRATE_A_WINDOW_PEAK]);
	st->ack_timeouts = get_u32(tb[DM_MIGRATE_A_ACK_TIMEOUTS]);
	st->major = get_u32(tb[DM_MIGRATE_A_DEV_MAJOR]);
	st->minor = get_u32(tb[DM_MIGRATE_A_DEV_MINOR]);
	st->event = get_u8(tb[DM_MIGRATE_A_EVENT]);
	st->phase = get_u8(tb[DM_MIGRATE_A_PHASE]);
	st->role = get_u8(tb[DM_MIGRATE_A_ROLE]);
	st->conn = get_u8(tb[DM_MIGRATE_A_CONN_STATE]);
	st->paused = tb[DM_MIGRATE_A_PAUSED];
	st->round = get_u32(tb[DM_MIGRATE_A_ROUND]);
	st->chunk_bytes = get_u32(tb[DM_MIGRATE_A_CHUNK_BYTES]);
	st->total = get_u64(tb[DM_MIGRATE_A_CHUNKS_TOTAL]);
	st->dirty = get_u64(tb[DM_MIGRATE_A_CHUNKS_DIRTY]);
	st->bytes_read = get_u64(tb[DM_MIGRATE_A_BYTES_READ]);
	st->bytes_wire = get_u64(tb[DM_MIGRATE_A_BYTES_WIRE]);
	st->chunks_sent = get_u64(tb[DM_MIGRATE_A_CHUNKS_SENT]);
	st->zero_chunks = get_u64(tb[DM_MIGRATE_A_ZERO_CHUNKS]);
	st->writes = get_u64(tb[DM_MIGRATE_A_WRITES]);
	st->pieces = get_u64(tb[DM_MIGRATE_A_PIECES]);
	st->subchunk = get_u8(tb[DM_MIGRATE_A_SUBCHUNK]);
	st->peer_piece = get_u8(tb[DM_MIGRATE_A_PEER_PIECE]);
	st->has_wire_permille = tb[DM_MIGRATE_A_WIRE_PERMILLE];
	st->wire_permille = get_u32(tb[DM_MIGRATE_A_WIRE_PERMILLE]);
	st->net_rate = get_u64(tb[DM_MIGRATE_A_NET_RATE]);
	st->send_rate = get_u64(tb[DM_MIGRATE_A_SEND_RATE]);
	st->dirty_rate = get_u64(tb[DM_MIGRATE_A_DIRTY_RATE]);
	st->has_eta = tb[DM_MIGRATE_A_ETA_MS];
	st->eta_ms = get_u64(tb[DM_MIGRATE_A_ETA_MS]);
	st->converge_reason = get_u8(tb[DM_MIGRATE_A_CONVERGE_REASON]);
	st->has_predict = tb[DM_MIGRATE_A_PREDICT_REASON];
	st->predict_round = get_u32(tb[DM_MIGRATE_A_PREDICT_ROUNDS]);
	st->predict_wire = get_u64(tb[DM_MIGRATE_A_PREDICT_WIRE]);
	st->predict_final = get_u64(tb[DM_MIGRATE_A_PREDICT_FINAL]);
	st->predict_reason = get_u8(tb[DM_MIGRATE_A_PREDICT_REASON]);
	st->write_throttle = get_u64(tb[DM_MIGRATE_A_WRITE_THROTTLE]);
	st->auto_throttle = get_u8(tb[DM_MIGRATE_A_AUTO_THROTTLE]);
	st->connections = get_u32(tb[DM_MIGRATE_A_CONNECTIONS]);
	st->protocol_errors = get_u32(tb[DM_MIGRATE_A_PROTOCOL_ERRORS]);
	st->error_code = get_u32(tb[DM_MIGRATE_A_ERROR_CODE]);
	st->encoding = tb[DM_MIGRATE_A_ENCODING] ? get_u8(tb[DM_MIGRATE_A_ENCODING]) : -1;
	st->encoding_used = get_u8(tb[DM_MIGRATE_A_ENCODING_USED]);
	st->peer_encodings = get_u32(tb[DM_MIGRATE_A_PEER_ENCODINGS]);
	copy_str(st->encoding_why, sizeof(st->encoding_why), tb[DM_MIGRATE_A_ENCODING_WHY]);
	decode_enc_chunks(tb[DM_MIGRATE_A_ENC_CHUNKS], st);
	st->handoff_us.total = get_opt_u64(tb[DM_MIGRATE_A_HANDOFF_US]);
	st->handoff_us.suspend = get_opt_u64(tb[DM_MIGRATE_A_HANDOFF_SUSPEND_US]);
	st->handoff_us.drain = get_opt_u64(tb[DM_MIGRATE_A_HANDOFF_DRAIN_US]);
	st->handoff_us.confirm = get_opt_u64(tb[DM_MIGRATE_A_HANDOFF_CONFIRM_US]);
	st->handoff_us.flush = get_opt_u64(tb[DM_MIGRATE_A_HANDOFF_FLUSH_US]);
}

struct req_state {
	struct mdm_nl *nl;
	mdm_status_cb cb;
	void *arg;
	int error;
	int stop;		/* what the callback returned to stop */
	bool done;
};

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *rs = arg;
	struct nlattr *tb[DM_MIGRATE_A_MAX + 1];
	struct mdm_status st;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, DM_MIGRATE_A_MAX, NULL))
		return NL_SKIP;
	decode(tb, &st);
	if (rs->cb)
		rs->stop = rs->cb(&st, rs->arg);
	return rs->stop ? NL_STOP : NL_OK;
}

/* The error (or ack) of a request, with the kernel's extended ack text. */
static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req_state *rs = arg;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int off = sizeof(*e);

	(void)nla;
	rs->error = e->error;
	rs->done = true;
	if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		if (!nla_parse(tb, NLMSGERR_ATTR_MAX,
			       (struct nlattr *)((char *)e + off),
			       (int)hdr->nlmsg_len - NLMSG_HDRLEN - off, NULL) &&
		    tb[NLMSGERR_ATTR_MSG])
			copy_str(rs->nl->ext_msg, sizeof(rs->nl->ext_msg),
				 tb[NLMSGERR_ATTR_MSG]);
	}
	return NL_STOP;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *rs = arg;

	(void)msg;
	rs->done = true;
	return NL_STOP;
}

int mdm_nl_request(struct mdm_nl *nl, struct nl_msg *msg, mdm_status_cb cb,
		   void *arg)
{
	struct req_state rs = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *ncb;
	int r;

	nl->ext_msg[0] = '\0';
	if (!msg)
		return -ENOMEM;
	ncb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ncb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &rs);
	nl_cb_set(ncb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, &rs);
	nl_cb_set(ncb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &rs);
	nl_cb_err(ncb, NL_CB_CUSTOM, err_cb, &rs);
	r = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (r >= 0 && !rs.done)
		r = nl_recvmsgs(nl->sk, ncb);
	nl_cb_put(ncb);
	if (r < 0 && !rs.error)
		return -EIO;
	return rs.error;
}

/* Events are not answers to a request: no sequence numbers to check. */
static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int mdm_nl_events(struct mdm_nl *nl, int timeout_ms, mdm_status_cb cb, void *arg)
{
	struct req_state rs = { .nl = nl, .cb = cb, .arg = arg };
	struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
	struct nl_cb *ncb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	if (!ncb)
		return -ENOMEM;
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &rs);
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	while (!rs.stop) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = nl_recvmsgs(nl->sk, ncb);
		/* Events lost to a full socket buffer: go on with the next. */
		if (r < 0 && r != -NLE_NOMEM && r != -NLE_MSG_OVERFLOW) {
			nl_cb_put(ncb);
			return -EIO;
		}
	}
	nl_cb_put(ncb);
	return rs.stop;
}
