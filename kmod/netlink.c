// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "dm-migrate": status, control and events
 * (include/uapi/linux/dm-migrate.h, docs/netlink.rst).
 *
 * Every request names a device by number.  The handler takes a reference
 * on the mapped device (dm_get_md) and on its tracking state (mig_dev_lookup)
 * for the length of the request, and changes state only under the
 * device's ctl_lock, the lock `dmsetup message` takes too, so both paths
 * see the same rules.  Refusals come back as an errno and an extended-ack
 * sentence; keys are copied in, used, and wiped.
 */
#include <linux/capability.h>
#include <linux/kdev_t.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "auth.h"
#include "control.h"
#include "device.h"
#include "frontend.h"
#include "state.h"

static struct genl_family mig_nl_family;

enum { MIG_NL_GRP_EVENTS };

static const struct genl_multicast_group mig_nl_mcgrps[] = {
	/* Like GET, events are for root only (dm's own ioctls are). */
	[MIG_NL_GRP_EVENTS] = { .name = DM_MIGRATE_GENL_MCGRP_EVENTS,
				.flags = GENL_MCAST_CAP_SYS_ADMIN },
};

static struct netlink_range_validation minor_range = {
	.max = MINORMASK,
};

/* Request attributes only: a status attribute in a request is refused. */
static const struct nla_policy mig_nl_policy[DM_MIGRATE_A_MAX + 1] = {
	[DM_MIGRATE_A_DEV_MAJOR]	= NLA_POLICY_MAX(NLA_U32, (1U << 12) - 1),
	[DM_MIGRATE_A_DEV_MINOR]	= NLA_POLICY_FULL_RANGE(NLA_U32, &minor_range),
	[DM_MIGRATE_A_PEER]		= { .type = NLA_NUL_STRING, .len = 63 },
	[DM_MIGRATE_A_KEY]		= { .type = NLA_BINARY,
					    .len = DM_MIGRATE_MAX_KEY_LEN },
	[DM_MIGRATE_A_KEY_DESC]		= { .type = NLA_NUL_STRING, .len = 255 },
	[DM_MIGRATE_A_RATE_LIMIT]	= { .type = NLA_U64 },
	[DM_MIGRATE_A_WRITE_THROTTLE]	= { .type = NLA_U64 },
	[DM_MIGRATE_A_CONVERGE_BELOW]	= { .type = NLA_U64 },
	[DM_MIGRATE_A_CONVERGE_MS]	= { .type = NLA_U32 },
	[DM_MIGRATE_A_MAX_ROUNDS]	= { .type = NLA_U32 },
	[DM_MIGRATE_A_PAUSE_AFTER_BULK]	= NLA_POLICY_MAX(NLA_U8, 1),
	[DM_MIGRATE_A_AUTO_THROTTLE]	= NLA_POLICY_MAX(NLA_U8, 1),
	[DM_MIGRATE_A_SUBCHUNK]		= NLA_POLICY_MAX(NLA_U8, 1),
	[DM_MIGRATE_A_ENCODING]		= NLA_POLICY_MAX(NLA_U8, __DM_MIGRATE_ENCODE_MAX - 1),
	[DM_MIGRATE_A_MAX_BYTES]	= { .type = NLA_U64 },
	[DM_MIGRATE_A_FORCE]		= { .type = NLA_FLAG },
};

/* What a request holds while it runs. */
struct nl_req {
	struct mapped_device *md;
	struct mig_dev *dev;
};

static int nl_find(struct sk_buff *skb, struct genl_info *info, bool admin,
		   struct nl_req *req)
{
	struct netlink_ext_ack *extack = info->extack;

	/* dm's ioctls need CAP_SYS_ADMIN; so does driving its devices here. */
	if (admin && !netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(extack, "CAP_SYS_ADMIN is needed to control a migrate device");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, DM_MIGRATE_A_DEV_MAJOR) ||
	    GENL_REQ_ATTR_CHECK(info, DM_MIGRATE_A_DEV_MINOR))
		return -EINVAL;
	req->md = dm_get_md(MKDEV(nla_get_u32(info->attrs[DM_MIGRATE_A_DEV_MAJOR]),
				  nla_get_u32(info->attrs[DM_MIGRATE_A_DEV_MINOR])));
	if (!req->md) {
		NL_SET_ERR_MSG(extack, "no device-mapper device has this number");
		return -ENODEV;
	}
	req->dev = mig_dev_lookup(req->md);
	if (!req->dev) {
		dm_put(req->md);
		NL_SET_ERR_MSG(extack, "the device has no migrate target");
		return -ENXIO;
	}
	return 0;
}

static void nl_put(struct nl_req *req)
{
	mig_dev_release(req->dev);
	if (req->md)
		dm_put(req->md);
}

/*
 * The engines explain a refusal with a sentence (a string literal, as
 * NL_SET_ERR_MSG wants, chosen at run time).
 */
static void nl_fail(struct genl_info *info, int r, const char *why)
{
	if (r && why && info->extack)
		info->extack->_msg = why;
}

/* The limit attributes, each one MIG_LIM_* of struct mig_limits. */
static const struct {
	int attr;
	u32 bit;
} nl_lims[] = {
	{ DM_MIGRATE_A_RATE_LIMIT, MIG_LIM_RATE },
	{ DM_MIGRATE_A_WRITE_THROTTLE, MIG_LIM_THROTTLE },
	{ DM_MIGRATE_A_CONVERGE_BELOW, MIG_LIM_CONVERGE },
	{ DM_MIGRATE_A_CONVERGE_MS, MIG_LIM_CONVERGE_MS },
	{ DM_MIGRATE_A_MAX_BYTES, MIG_LIM_MAX_BYTES },
	{ DM_MIGRATE_A_MAX_ROUNDS, MIG_LIM_MAX_ROUNDS },
	{ DM_MIGRATE_A_PAUSE_AFTER_BULK, MIG_LIM_PAUSE_BULK },
	{ DM_MIGRATE_A_AUTO_THROTTLE, MIG_LIM_AUTO_THROTTLE },
	{ DM_MIGRATE_A_ENCODING, MIG_LIM_ENCODING },
	{ DM_MIGRATE_A_SUBCHUNK, MIG_LIM_SUBCHUNK },
};

/* The limit attributes of a request; @given is 0 when there are none. */
static void nl_limits(struct genl_info *info, struct mig_limits *lim)
{
	const struct nlattr *a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nl_lims); i++) {
		a = info->attrs[nl_lims[i].attr];
		if (!a)
			continue;
		/* The policy checked type and range: mig_lim_set() agrees. */
		switch (mig_nl_policy[nl_lims[i].attr].type) {
		case NLA_U64:
			mig_lim_set(lim, nl_lims[i].bit, nla_get_u64(a));
			break;
		case NLA_U32:
			mig_lim_set(lim, nl_lims[i].bit, nla_get_u32(a));
			break;
		case NLA_U8:
			mig_lim_set(lim, nl_lims[i].bit, nla_get_u8(a));
			break;
		default:
			WARN_ON_ONCE(1);	/* a limit of a type not read here */
		}
	}
}

/* PEER, then exactly one of KEY and KEY_DESC. */
static int nl_start_args(struct genl_info *info, struct mig_start *s,
			 const char **why)
{
	struct nlattr *key = info->attrs[DM_MIGRATE_A_KEY];
	struct nlattr *desc = info->attrs[DM_MIGRATE_A_KEY_DESC];
	struct netlink_ext_ack *extack = info->extack;

	if (GENL_REQ_ATTR_CHECK(info, DM_MIGRATE_A_PEER))
		return -EINVAL;
	if (mig_addr_parse(nla_data(info->attrs[DM_MIGRATE_A_PEER]), &s->addr)) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[DM_MIGRATE_A_PEER],
				    "invalid address: want A.B.C.D:PORT or [IPV6]:PORT");
		return -EINVAL;
	}
	if (!key == !desc) {
		*why = "give exactly one of a key and a key description";
		return -EINVAL;
	}
	if (key) {
		if (nla_len(key) < DM_MIGRATE_MIN_KEY_LEN) {
			NL_SET_ERR_MSG_ATTR(extack, key, "the key must hold 16 to 64 bytes");
			return -EINVAL;
		}
		s->key.len = nla_len(key);
		memcpy(s->key.bytes, nla_data(key), s->key.len);
	} else {
		int r = mig_key_from_keyring(nla_data(desc), &s->key, why);

		if (r)
			return r;
	}
	nl_limits(info, &s->lim);
	s->net = genl_info_net(info);
	return 0;
}

static int nl_start(struct sk_buff *skb, struct genl_info *info)
{
	bool push = info->genlhdr->cmd == DM_MIGRATE_CMD_PUSH;
	const char *why = NULL;
	struct mig_start *s;
	struct nl_req req;
	int r;

	r = nl_find(skb, info, true, &req);
	if (r)
		return r;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	r = nl_start_args(info, s, &why);
	if (!r && !push && s->lim.given) {
		why = "limits apply to a push, not to a receiver";
		r = -EINVAL;
	}
	if (!r) {
		struct mig_cmd cmd = {
			.verb = push ? MIG_V_PUSH : MIG_V_LISTEN,
			.start = s,
		};

		r = mig_control(req.dev, &cmd, &why);
	}
	kfree_sensitive(s);
out:
	nl_fail(info, r, why);
	nl_put(&req);
	return r;
}

/* The control verb of each command but GET and the two starts. */
static const u8 nl_verbs[__DM_MIGRATE_CMD_MAX] = {
	[DM_MIGRATE_CMD_SET_LIMITS]	= MIG_V_SET,
	[DM_MIGRATE_CMD_PAUSE]		= MIG_V_PAUSE,
	[DM_MIGRATE_CMD_RESUME]		= MIG_V_RESUME,
	[DM_MIGRATE_CMD_MIRROR]		= MIG_V_MIRROR,
	[DM_MIGRATE_CMD_HANDOFF]	= MIG_V_HANDOFF,
	[DM_MIGRATE_CMD_ABORT]		= MIG_V_ABORT,
};

/* SET_LIMITS, PAUSE, RESUME, MIRROR, HANDOFF, ABORT. */
static int nl_control(struct sk_buff *skb, struct genl_info *info)
{
	struct mig_cmd cmd = { .verb = nl_verbs[info->genlhdr->cmd] };
	const char *why = NULL;
	struct nl_req req;
	int r;

	/* Only the commands of nl_verbs come here (mig_nl_ops). */
	if (WARN_ON_ONCE(cmd.verb == MIG_V_PUSH))
		return -EOPNOTSUPP;
	r = nl_find(skb, info, true, &req);
	if (r)
		return r;
	if (cmd.verb == MIG_V_SET) {
		nl_limits(info, &cmd.lim);
		if (!cmd.lim.given) {
			why = "no limit given";
			r = -EINVAL;
			goto out;
		}
	}
	cmd.force = nla_get_flag(info->attrs[DM_MIGRATE_A_FORCE]);
	r = mig_control(req.dev, &cmd, &why);
out:
	nl_fail(info, r, why);
	nl_put(&req);
	return r;
}

static int put_u64(struct sk_buff *skb, int attr, u64 v)
{
	return nla_put_u64_64bit(skb, attr, v, DM_MIGRATE_A_PAD);
}

/* How a push encodes (its choice, the encoding in use and why). */
static int fill_encoding(struct sk_buff *skb, const struct mig_status *ss)
{
	if (!ss->has_encoding)
		return 0;
	if (nla_put_u8(skb, DM_MIGRATE_A_ENCODING, ss->encoding) ||
	    nla_put_u8(skb, DM_MIGRATE_A_ENCODING_USED, ss->encoding_used) ||
	    nla_put_string(skb, DM_MIGRATE_A_ENCODING_WHY, ss->encoding_why) ||
	    (ss->peer_encodings &&
	     nla_put_u32(skb, DM_MIGRATE_A_PEER_ENCODINGS, ss->peer_encodings)) ||
	    (ss->engine == MIG_ENGINE_PUSH &&
	     (nla_put_u8(skb, DM_MIGRATE_A_SUBCHUNK, ss->subchunk) ||
	      (ss->connected &&
	       nla_put_u8(skb, DM_MIGRATE_A_PEER_PIECE, ss->peer_piece)))))
		return -EMSGSIZE;
	return 0;
}

/*
 * A source's convergence: why it converged, and the model's prediction
 * (ETA_MS: absent in pre-copy until the model has one, 0 after it).
 */
static int fill_converge(struct sk_buff *skb, struct mig_dev *dev,
			 const struct mig_status *ss)
{
	u8 why = atomic_read(&dev->stats.converge_why);
	const struct mig_model_out *p = &ss->predict;
	u64 chunk = 512ULL << dev->chunk_shift;

	if (why && nla_put_u8(skb, DM_MIGRATE_A_CONVERGE_REASON, why))
		return -EMSGSIZE;
	if (!ss->predicted)
		return ss->mode == DM_MIGRATE_MODE_BULK || ss->mode == DM_MIGRATE_MODE_DIRTY ?
		       0 : put_u64(skb, DM_MIGRATE_A_ETA_MS, 0);
	if (put_u64(skb, DM_MIGRATE_A_ETA_MS, p->ms) ||
	    nla_put_u32(skb, DM_MIGRATE_A_PREDICT_ROUNDS, p->round) ||
	    put_u64(skb, DM_MIGRATE_A_PREDICT_WIRE, p->wire_bytes) ||
	    put_u64(skb, DM_MIGRATE_A_PREDICT_FINAL, p->final_chunks * chunk) ||
	    nla_put_u8(skb, DM_MIGRATE_A_PREDICT_REASON, p->reason))
		return -EMSGSIZE;
	return 0;
}

/* Chunks per encoding, those used so far. */
static int fill_enc_chunks(struct sk_buff *skb, struct mig_stats *st)
{
	struct nlattr *nest = nla_nest_start(skb, DM_MIGRATE_A_ENC_CHUNKS);
	unsigned int i;
	u64 n;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(st->enc_chunks); i++) {
		n = atomic64_read(&st->enc_chunks[i]);
		if (n && nla_put_u64_64bit(skb, i + 1, n, DM_MIGRATE_A_UNSPEC)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Engine-side status: role, connection, peer, rates and prediction. */
static int fill_engine(struct sk_buff *skb, struct mig_dev *dev,
		       const struct mig_status *ss)
{
	u8 role = DM_MIGRATE_ROLE_NONE, conn = DM_MIGRATE_CONN_NONE;
	bool handed_off = ss->mode == DM_MIGRATE_MODE_HANDED_OFF;
	const char *peer = NULL;

	if (ss->engine == MIG_ENGINE_RECV) {
		role = DM_MIGRATE_ROLE_DEST;
		peer = ss->peer;
		conn = ss->mode != DM_MIGRATE_MODE_RECEIVING ? DM_MIGRATE_CONN_CLOSED :
		       ss->connected ? DM_MIGRATE_CONN_CONNECTED :
		       DM_MIGRATE_CONN_LISTENING;
		if (strcmp(ss->source, "-") &&
		    nla_put_string(skb, DM_MIGRATE_A_SOURCE_ADDR, ss->source))
			return -EMSGSIZE;
	} else if ((ss->engine == MIG_ENGINE_PUSH && !ss->failed) || handed_off) {
		role = DM_MIGRATE_ROLE_SOURCE;
		peer = ss->peer[0] ? ss->peer : NULL;
		conn = handed_off ? DM_MIGRATE_CONN_CLOSED :
		       ss->connected ? DM_MIGRATE_CONN_CONNECTED :
		       DM_MIGRATE_CONN_CONNECTING;
	}
	if (nla_put_u8(skb, DM_MIGRATE_A_ROLE, role) ||
	    nla_put_u8(skb, DM_MIGRATE_A_CONN_STATE, conn) ||
	    (peer && nla_put_string(skb, DM_MIGRATE_A_PEER, peer)) ||
	    (ss->paused && nla_put_flag(skb, DM_MIGRATE_A_PAUSED)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_ROUND,
			role == DM_MIGRATE_ROLE_SOURCE ? ss->round : 0) ||
	    put_u64(skb, DM_MIGRATE_A_NET_RATE, ss->rates.net) ||
	    put_u64(skb, DM_MIGRATE_A_SEND_RATE, ss->rates.send) ||
	    put_u64(skb, DM_MIGRATE_A_DIRTY_RATE, ss->rates.dirty))
		return -EMSGSIZE;
	if (role == DM_MIGRATE_ROLE_DEST)
		return 0;
	/* The guest write throttle is the device's: also with no push. */
	if (nla_put_u8(skb, DM_MIGRATE_A_AUTO_THROTTLE, READ_ONCE(dev->throttle.automatic)) ||
	    put_u64(skb, DM_MIGRATE_A_WRITE_THROTTLE, READ_ONCE(dev->throttle.rate)))
		return -EMSGSIZE;
	return role == DM_MIGRATE_ROLE_SOURCE ? fill_converge(skb, dev, ss) : 0;
}

/* The attribute of each part of the handoff's timing. */
static const u16 nl_handoff_attrs[MIG_HO_NR] = {
	[MIG_HO_TOTAL]		= DM_MIGRATE_A_HANDOFF_US,
	[MIG_HO_SUSPEND]	= DM_MIGRATE_A_HANDOFF_SUSPEND_US,
	[MIG_HO_DRAIN]		= DM_MIGRATE_A_HANDOFF_DRAIN_US,
	[MIG_HO_CONFIRM]	= DM_MIGRATE_A_HANDOFF_CONFIRM_US,
	[MIG_HO_FLUSH]		= DM_MIGRATE_A_HANDOFF_FLUSH_US,
};

/* The parts of the handoff's timing that were measured, in us. */
static int fill_handoff(struct sk_buff *skb, const struct mig_status *ss)
{
	unsigned int i;

	for (i = 0; i < MIG_HO_NR; i++)
		if (ss->handoff_ns[i] &&
		    put_u64(skb, nl_handoff_attrs[i],
			    div_u64(ss->handoff_ns[i], NSEC_PER_USEC)))
			return -EMSGSIZE;
	return 0;
}

static int fill_status(struct sk_buff *skb, struct mig_dev *dev,
		       struct mapped_device *md, u32 portid, u32 seq, int flags)
{
	struct mig_stats *st = &dev->stats;
	u64 read = atomic64_read(&st->bytes_read);
	u64 wire = atomic64_read(&st->bytes_wire);
	char name[DM_NAME_LEN];
	struct mig_status ss;
	void *hdr;
	int r;

	if (dm_copy_name_and_uuid(md, name, NULL))
		return -ENODEV;		/* being removed */
	hdr = genlmsg_put(skb, portid, seq, &mig_nl_family, flags,
			  DM_MIGRATE_CMD_GET);
	if (!hdr)
		return -EMSGSIZE;

	mig_ctl_snapshot(dev, &ss);
	r = fill_engine(skb, dev, &ss) ?: fill_handoff(skb, &ss) ?:
	    fill_encoding(skb, &ss) ?: fill_enc_chunks(skb, st);
	if (r ||
	    nla_put_string(skb, DM_MIGRATE_A_DEV_NAME, name) ||
	    nla_put_u32(skb, DM_MIGRATE_A_DEV_MAJOR, MAJOR(dev->devt)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_DEV_MINOR, MINOR(dev->devt)) ||
	    nla_put_u8(skb, DM_MIGRATE_A_PHASE, ss.mode) ||
	    nla_put_u32(skb, DM_MIGRATE_A_CHUNK_BYTES, 512U << dev->chunk_shift) ||
	    put_u64(skb, DM_MIGRATE_A_CHUNKS_TOTAL, ss.total) ||
	    put_u64(skb, DM_MIGRATE_A_CHUNKS_DIRTY, ss.dirty) ||
	    put_u64(skb, DM_MIGRATE_A_BYTES_READ, read) ||
	    put_u64(skb, DM_MIGRATE_A_BYTES_WIRE, wire) ||
	    put_u64(skb, DM_MIGRATE_A_CHUNKS_SENT, atomic64_read(&st->chunks)) ||
	    put_u64(skb, DM_MIGRATE_A_ZERO_CHUNKS, atomic64_read(&st->zero_chunks)) ||
	    put_u64(skb, DM_MIGRATE_A_WRITES, atomic64_read(&st->writes)) ||
	    put_u64(skb, DM_MIGRATE_A_PIECES, atomic64_read(&st->pieces)) ||
	    (read && nla_put_u32(skb, DM_MIGRATE_A_WIRE_PERMILLE,
				 div64_u64(wire * 1000, read))) ||
	    nla_put_u32(skb, DM_MIGRATE_A_CONNECTIONS, atomic_read(&st->connections)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_PROTOCOL_ERRORS,
			atomic_read(&st->protocol_errors)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_WINDOW_PEAK, ss.window_peak) ||
	    nla_put_u32(skb, DM_MIGRATE_A_ACK_TIMEOUTS, ss.ack_timeouts) ||
	    (ss.last_error[0] &&
	     nla_put_string(skb, DM_MIGRATE_A_LAST_ERROR, ss.last_error))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct nl_req req;
	int r;

	r = nl_find(skb, info, true, &req);
	if (r)
		return r;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		r = -ENOMEM;
		goto out;
	}
	r = fill_status(msg, req.dev, req.md, info->snd_portid, info->snd_seq, 0);
	if (r) {
		nlmsg_free(msg);
		goto out;
	}
	r = genlmsg_reply(msg, info);
out:
	nl_put(&req);
	return r;
}

/* One message per migrate device; cb->args[0] is where to go on. */
static int nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = cb->args[0];
	struct mapped_device *md;
	struct mig_dev *dev;
	int r = 0;

	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN))
		return -EPERM;
	for (; (dev = mig_dev_nth(idx)); idx++) {
		md = dm_get_md(dev->devt);
		if (md) {
			if (md == dev->md)
				r = fill_status(skb, dev, md,
						NETLINK_CB(cb->skb).portid,
						cb->nlh->nlmsg_seq, NLM_F_MULTI);
			dm_put(md);
		}
		mig_dev_release(dev);
		if (r == -EMSGSIZE)
			break;
		r = 0;
	}
	cb->args[0] = idx;
	return skb->len;
}

/*
 * Send an event to the listeners of the namespace the device's engine
 * runs in.  From engine threads and control paths; never from the I/O
 * path.  Memory: NOIO, since the source engine runs in the I/O path of a
 * guest whose writes may be what frees memory.  dev->bm is read without
 * dev->lock: it is replaced only by a grow, which the constructor refuses
 * while an engine runs, and events come from running engines or from
 * control paths that hold ctl_lock.
 */
static void nl_event(struct mig_dev *dev, enum dm_migrate_event ev, int err)
{
	char text[sizeof(dev->last_error)];
	struct sk_buff *skb;
	struct net *net;
	void *hdr;

	spin_lock(&dev->err_lock);
	net = get_net(dev->ev_net ?: &init_net);
	strscpy(text, dev->last_error, sizeof(text));
	spin_unlock(&dev->err_lock);
	if (!genl_has_listeners(&mig_nl_family, net, MIG_NL_GRP_EVENTS))
		goto out;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_NOIO);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &mig_nl_family, 0, DM_MIGRATE_CMD_EVENT);
	if (!hdr ||
	    nla_put_u8(skb, DM_MIGRATE_A_EVENT, ev) ||
	    nla_put_string(skb, DM_MIGRATE_A_DEV_NAME, mig_name(dev)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_DEV_MAJOR, MAJOR(dev->devt)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_DEV_MINOR, MINOR(dev->devt)) ||
	    nla_put_u8(skb, DM_MIGRATE_A_PHASE, mig_mode(dev)) ||
	    nla_put_u32(skb, DM_MIGRATE_A_ROUND, atomic_read(&dev->stats.round)) ||
	    put_u64(skb, DM_MIGRATE_A_CHUNKS_DIRTY, mig_bitmap_dirty(dev->bm)) ||
	    (err && nla_put_u32(skb, DM_MIGRATE_A_ERROR_CODE, -err)) ||
	    (ev == DM_MIGRATE_EV_CONVERGED &&
	     nla_put_u8(skb, DM_MIGRATE_A_CONVERGE_REASON,
			atomic_read(&dev->stats.converge_why))) ||
	    (ev == DM_MIGRATE_EV_THROTTLE &&
	     put_u64(skb, DM_MIGRATE_A_WRITE_THROTTLE, READ_ONCE(dev->throttle.rate))) ||
	    (ev == DM_MIGRATE_EV_ERROR && text[0] &&
	     nla_put_string(skb, DM_MIGRATE_A_LAST_ERROR, text))) {
		nlmsg_free(skb);
		goto out;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&mig_nl_family, net, skb, 0, MIG_NL_GRP_EVENTS,
				GFP_NOIO);
out:
	put_net(net);
}

static const struct genl_small_ops mig_nl_ops[] = {
	{
		.cmd = DM_MIGRATE_CMD_GET,
		.doit = nl_get,
		.dumpit = nl_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{ .cmd = DM_MIGRATE_CMD_PUSH, .doit = nl_start, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_RECEIVE, .doit = nl_start, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_SET_LIMITS, .doit = nl_control, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_PAUSE, .doit = nl_control, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_RESUME, .doit = nl_control, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_MIRROR, .doit = nl_control, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_HANDOFF, .doit = nl_control, .flags = GENL_ADMIN_PERM },
	{ .cmd = DM_MIGRATE_CMD_ABORT, .doit = nl_control, .flags = GENL_ADMIN_PERM },
};

static struct genl_family mig_nl_family __ro_after_init = {
	.name		= DM_MIGRATE_GENL_NAME,
	.version	= DM_MIGRATE_GENL_VERSION,
	.maxattr	= DM_MIGRATE_A_MAX,
	.policy		= mig_nl_policy,
	.netnsok	= true,
	/* Every handler locks per device and none waits for a peer. */
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.small_ops	= mig_nl_ops,
	.n_small_ops	= ARRAY_SIZE(mig_nl_ops),
	.mcgrps		= mig_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mig_nl_mcgrps),
};

int mig_netlink_register(void)
{
	int r = genl_register_family(&mig_nl_family);

	if (!r)
		mig_events_set_sink(nl_event);
	return r;
}

void mig_netlink_unregister(void)
{
	mig_events_set_sink(NULL);
	genl_unregister_family(&mig_nl_family);
}
