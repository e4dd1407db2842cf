// SPDX-License-Identifier: GPL-2.0
/* Status and events, for people (text) and programs (JSON) (show.h). */
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "show.h"
#include "units.h"

static const char *const phases[] = DM_MIGRATE_MODE_NAMES;
static const char *const encodes[] = DM_MIGRATE_ENCODE_NAMES;
static const char *const encodings[] = DM_MIGRATE_ENC_NAMES;

static const char *const roles[] = {
	[DM_MIGRATE_ROLE_NONE] = "none",
	[DM_MIGRATE_ROLE_SOURCE] = "source",
	[DM_MIGRATE_ROLE_DEST] = "destination",
};

static const char *const conns[] = {
	[DM_MIGRATE_CONN_NONE] = "none",
	[DM_MIGRATE_CONN_CONNECTING] = "connecting",
	[DM_MIGRATE_CONN_CONNECTED] = "connected",
	[DM_MIGRATE_CONN_LISTENING] = "listening",
	[DM_MIGRATE_CONN_CLOSED] = "closed",
};

static const char *const events[] = {
	[DM_MIGRATE_EV_PHASE] = "phase",
	[DM_MIGRATE_EV_CONVERGED] = "converged",
	[DM_MIGRATE_EV_CONNECTED] = "connected",
	[DM_MIGRATE_EV_DISCONNECTED] = "disconnected",
	[DM_MIGRATE_EV_HANDOFF_DONE] = "handoff_done",
	[DM_MIGRATE_EV_ERROR] = "error",
	[DM_MIGRATE_EV_THROTTLE] = "throttle",
};

/* enum dm_migrate_converge_reason, for programs and for people. */
static const char *const reasons[] = {
	[DM_MIGRATE_CONV_BUDGET] = "budget",
	[DM_MIGRATE_CONV_BELOW] = "below",
	[DM_MIGRATE_CONV_NO_PROGRESS] = "no_progress",
	[DM_MIGRATE_CONV_MAX_ROUNDS] = "max_rounds",
	[DM_MIGRATE_CONV_MAX_BYTES] = "max_bytes",
};

static const char *const reason_texts[] = {
	[DM_MIGRATE_CONV_BUDGET] = "the dirty rest is sent within the converge time",
	[DM_MIGRATE_CONV_BELOW] = "no more dirty than converge-below",
	[DM_MIGRATE_CONV_NO_PROGRESS] = "rounds stopped shrinking the dirty set",
	[DM_MIGRATE_CONV_MAX_ROUNDS] = "max-rounds reached",
	[DM_MIGRATE_CONV_MAX_BYTES] = "max-bytes sent",
};

#define NAME_OF(tab, i) \
	((i) >= 0 && (size_t)(i) < sizeof(tab) / sizeof(tab[0]) && tab[i] ? tab[i] : "unknown")

const char *mdm_phase_name(int phase)
{
	return NAME_OF(phases, phase);
}

const char *mdm_role_name(int role)
{
	return NAME_OF(roles, role);
}

const char *mdm_conn_name(int conn)
{
	return NAME_OF(conns, conn);
}

const char *mdm_event_name(int event)
{
	return NAME_OF(events, event);
}

/* The index of @name in @tab of @n names, or -1. */
static int index_of(const char *const *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i] && !strcmp(name, tab[i]))
			return (int)i;
	return -1;
}

int mdm_phase_by_name(const char *name)
{
	return index_of(phases, sizeof(phases) / sizeof(phases[0]), name);
}

int mdm_encoding_by_name(const char *name)
{
	return index_of(encodes, sizeof(encodes) / sizeof(encodes[0]), name);
}

/* "120 lzo, 40 raw, 12 zero": the chunks of each encoding used. */
static void enc_chunks_text(const struct mdm_status *st, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < __DM_MIGRATE_ENC_MAX && n < len; i++)
		if (st->enc_chunks[i])
			n += (size_t)snprintf(buf + n, len - n, "%s%llu %s", n ? ", " : "",
					      (unsigned long long)st->enc_chunks[i],
					      NAME_OF(encodings, (int)i));
	if (!buf[0])
		snprintf(buf, len, "none yet");
}

bool mdm_is_dest(const struct mdm_status *st)
{
	return st->role == DM_MIGRATE_ROLE_DEST ||
	       (st->role == DM_MIGRATE_ROLE_NONE && st->phase == DM_MIGRATE_MODE_RECEIVING);
}

/* How a destination's connection reads (status text, watch). */
const char *mdm_dest_conn_text(int conn)
{
	switch (conn) {
	case DM_MIGRATE_CONN_LISTENING: return "listening";
	case DM_MIGRATE_CONN_CONNECTED: return "source connected";
	case DM_MIGRATE_CONN_CLOSED: return "closed after handoff";
	default: return "not listening";
	}
}

double mdm_progress(const struct mdm_status *st)
{
	uint64_t applied;

	if (!st->total)
		return 0;
	if (!mdm_is_dest(st))
		return 100.0 * (double)(st->total - st->dirty) / (double)st->total;
	/* Dirty rounds send chunks again: this follows the bulk pass. */
	applied = st->chunks_sent < st->total ? st->chunks_sent : st->total;
	return 100.0 * (double)applied / (double)st->total;
}

/* "2.1x" wire savings: bytes read per byte on the wire. */
static void savings(const struct mdm_status *st, char *buf, size_t len)
{
	if (st->has_wire_permille && st->wire_permille)
		snprintf(buf, len, "%.1fx", 1000.0 / st->wire_permille);
	else
		snprintf(buf, len, "-");
}

/* The handoff's timing line, once a part of it was measured. */
static void show_handoff(FILE *f, const struct mdm_status *st)
{
	char a[32], b[32], c[32], d[32];

	if (mdm_is_dest(st)) {
		if (st->handoff_us.total >= 0)
			fprintf(f, "  handoff    took %s from HANDOFF to its ACK, the volume's flush %s\n",
				mdm_fmt_us(st->handoff_us.total, a, sizeof(a)),
				mdm_fmt_us(st->handoff_us.flush, b, sizeof(b)));
		return;
	}
	if (st->handoff_us.suspend < 0)
		return;
	mdm_fmt_us(st->handoff_us.suspend, a, sizeof(a));
	if (st->handoff_us.drain < 0)
		snprintf(b, sizeof(b), "-");
	else
		mdm_fmt_us(st->handoff_us.drain, b, sizeof(b));
	if (st->handoff_us.total < 0)
		fprintf(f, "  handoff    pending: drained in %s; the suspend before it took %s\n",
			b, a);
	else
		fprintf(f, "  handoff    took %s: drain %s, confirmation %s; the suspend before it took %s\n",
			mdm_fmt_us(st->handoff_us.total, c, sizeof(c)), b,
			mdm_fmt_us(st->handoff_us.confirm, d, sizeof(d)), a);
}

/*
 * A destination counts what it received and applied; it reads nothing,
 * has no rounds and does not converge: none of that is shown.
 */
static void show_dest(FILE *f, const struct mdm_status *st)
{
	char a[32], b[32], c[160];

	if (st->role == DM_MIGRATE_ROLE_NONE)
		fprintf(f, "  receiver   none: 'migrate-dm receive %s --listen ADDR:PORT' starts one\n",
			st->name);
	else
		fprintf(f, "  receiver   on %s: %s, %u connection%s\n",
			st->peer[0] ? st->peer : "-", mdm_dest_conn_text(st->conn),
			st->connections, st->connections == 1 ? "" : "s");
	if (st->source[0])
		fprintf(f, "  source     %s\n", st->source);
	fprintf(f, "  received   %s on the wire, %llu chunks applied (%llu zero); the volume has %llu (%s each)\n",
		mdm_fmt_size(st->bytes_wire, a, sizeof(a)),
		(unsigned long long)st->chunks_sent, (unsigned long long)st->zero_chunks,
		(unsigned long long)st->total, mdm_fmt_size(st->chunk_bytes, b, sizeof(b)));
	fprintf(f, "  writes     %llu mirrored write%s applied\n", (unsigned long long)st->writes,
		st->writes == 1 ? "" : "s");
	fprintf(f, "  rates      received %s/s on the wire, applied %s/s to the volume\n",
		mdm_fmt_size(st->net_rate, a, sizeof(a)),
		mdm_fmt_size(st->send_rate, c, sizeof(c)));
	if (st->phase == DM_MIGRATE_MODE_TRACKING)
		fprintf(f, "  tracking   %llu chunk%s written here since the handoff\n",
			(unsigned long long)st->dirty, st->dirty == 1 ? "" : "s");
	enc_chunks_text(st, c, sizeof(c));
	fprintf(f, "  encodings  chunks applied: %s\n", c);
	show_handoff(f, st);
	fprintf(f, "  errors     %u protocol error%s; last: %s\n", st->protocol_errors,
		st->protocol_errors == 1 ? "" : "s",
		st->last_error[0] ? st->last_error : "none");
}

/* A source's write throttle, its convergence: why, or when it will. */
static void show_converge(FILE *f, const struct mdm_status *st)
{
	char a[32], b[32], c[32];

	if (st->write_throttle)
		fprintf(f, "  throttle   guest writes held to %s/s%s\n",
			mdm_fmt_size(st->write_throttle, a, sizeof(a)),
			st->auto_throttle ? " (auto)" : "");
	else if (st->auto_throttle)
		fprintf(f, "  throttle   auto, not holding the guest's writes now\n");

	if (st->converge_reason)
		fprintf(f, "  converged  %s\n", NAME_OF(reason_texts, st->converge_reason));
	else if (st->has_predict)
		fprintf(f, "  model      converges in %s at round %u: %s; %s on the wire by then, %s left to mirror\n",
			mdm_fmt_duration(st->eta_ms, a, sizeof(a)), st->predict_round,
			NAME_OF(reason_texts, st->predict_reason),
			mdm_fmt_size(st->predict_wire, b, sizeof(b)),
			mdm_fmt_size(st->predict_final, c, sizeof(c)));
	else if (st->phase == DM_MIGRATE_MODE_BULK || st->phase == DM_MIGRATE_MODE_DIRTY)
		fprintf(f, "  model      no prediction until a rate is measured\n");
}

void mdm_show_status(FILE *f, const struct mdm_status *st)
{
	char a[32], b[32], c[32], d[32], e[160];

	fprintf(f, "%s (%u:%u): %s, %s%s\n", st->name, st->major, st->minor,
		mdm_role_name(st->role), mdm_phase_name(st->phase),
		st->paused ? " (paused)" : "");
	if (mdm_is_dest(st)) {
		show_dest(f, st);
		return;
	}
	if (st->role != DM_MIGRATE_ROLE_NONE)
		fprintf(f, "  peer       %s, %s, %u connection%s, round %u\n",
			st->peer[0] ? st->peer : "-", mdm_conn_name(st->conn),
			st->connections, st->connections == 1 ? "" : "s", st->round);
	fprintf(f, "  chunks     %llu dirty of %llu (%s each), %.1f%% on the peer\n",
		(unsigned long long)st->dirty, (unsigned long long)st->total,
		mdm_fmt_size(st->chunk_bytes, a, sizeof(a)), mdm_progress(st));
	savings(st, d, sizeof(d));
	fprintf(f, "  data       %s read, %s on the wire (%s savings), %llu chunks sent, %llu zero, %llu writes mirrored\n",
		mdm_fmt_size(st->bytes_read, a, sizeof(a)),
		mdm_fmt_size(st->bytes_wire, b, sizeof(b)), d,
		(unsigned long long)st->chunks_sent,
		(unsigned long long)st->zero_chunks, (unsigned long long)st->writes);
	fprintf(f, "  subchunk   %s; %llu chunk%s sent as the blocks written only%s\n",
		st->subchunk ? "on" : "off", (unsigned long long)st->pieces,
		st->pieces == 1 ? "" : "s",
		st->conn == DM_MIGRATE_CONN_CONNECTED && st->subchunk && !st->peer_piece ?
		" (not on this connection: the peer or the option at connect)" : "");
	fprintf(f, "  rates      net %s/s, sent %s/s, guest dirties %s/s, converged in %s\n",
		mdm_fmt_size(st->net_rate, a, sizeof(a)),
		mdm_fmt_size(st->send_rate, b, sizeof(b)),
		mdm_fmt_size(st->dirty_rate, c, sizeof(c)),
		st->has_eta ? mdm_fmt_duration(st->eta_ms, d, sizeof(d)) :
		st->role == DM_MIGRATE_ROLE_SOURCE ? "(not measured yet)" : "-");
	show_converge(f, st);
	fprintf(f, "  window     peak %u of 1024 unacknowledged; %u connection%s dropped for no ACK\n",
		st->window_peak, st->ack_timeouts, st->ack_timeouts == 1 ? "" : "s");
	if (st->encoding >= 0) {
		enc_chunks_text(st, e, sizeof(e));
		fprintf(f, "  encoding   %s asked, %s\n             chunks: %s\n",
			NAME_OF(encodes, st->encoding), st->encoding_why, e);
	}
	show_handoff(f, st);
	fprintf(f, "  errors     %u protocol error%s; last: %s\n", st->protocol_errors,
		st->protocol_errors == 1 ? "" : "s",
		st->last_error[0] ? st->last_error : "none");
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* "chunks_by_encoding": {"lzo": 120, "raw": 40, ...}, those used. */
static void enc_chunks_json(json_object *o, const struct mdm_status *st)
{
	json_object *e = json_object_new_object();
	size_t i;

	for (i = 0; i < __DM_MIGRATE_ENC_MAX; i++)
		if (st->enc_chunks[i])
			add_u64(e, NAME_OF(encodings, (int)i), st->enc_chunks[i]);
	json_object_object_add(o, "chunks_by_encoding", e);
}

/* A push's encoding: asked, used, why, what the peer decodes. */
static void encoding_json(json_object *o, const struct mdm_status *st)
{
	json_object *p;
	size_t i;

	if (st->encoding < 0)
		return;
	add_str(o, "encoding", NAME_OF(encodes, st->encoding));
	add_str(o, "encoding_used", NAME_OF(encodings, st->encoding_used));
	add_str(o, "encoding_why", st->encoding_why);
	if (!st->peer_encodings) {
		json_object_object_add(o, "peer_encodings", NULL);
		return;
	}
	p = json_object_new_array();
	for (i = 0; i < __DM_MIGRATE_ENC_MAX; i++)
		if (st->peer_encodings & DM_MIGRATE_HELLO_ENC(i))
			json_object_array_add(p, json_object_new_string(NAME_OF(encodings, (int)i)));
	json_object_object_add(o, "peer_encodings", p);
}

/* A value that may be unknown (< 0): null then. */
static void add_opt(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, v >= 0 ? json_object_new_int64(v) : NULL);
}

/* The model's prediction of pre-copy's end, or null. */
static json_object *predict_json(const struct mdm_status *st)
{
	json_object *p;

	if (!st->has_predict)
		return NULL;
	p = json_object_new_object();
	add_u64(p, "eta_ms", st->eta_ms);
	add_u64(p, "round", st->predict_round);
	add_u64(p, "wire_bytes", st->predict_wire);
	add_u64(p, "final_bytes", st->predict_final);
	add_str(p, "reason", NAME_OF(reasons, st->predict_reason));
	return p;
}

/* A destination's fields: what it received and applied, no source-only ones. */
static void dest_json(json_object *o, const struct mdm_status *st)
{
	add_u64(o, "chunk_bytes", st->chunk_bytes);
	add_u64(o, "chunks_total", st->total);
	add_u64(o, "chunks_dirty", st->dirty);
	add_str(o, "listen", st->peer[0] ? st->peer : NULL);
	add_str(o, "connection", mdm_conn_name(st->conn));
	add_str(o, "source", st->source[0] ? st->source : NULL);
	add_u64(o, "connections", st->connections);
	add_u64(o, "bytes_received", st->bytes_wire);
	add_u64(o, "chunks_applied", st->chunks_sent);
	add_u64(o, "zero_chunks", st->zero_chunks);
	add_u64(o, "writes_applied", st->writes);
	add_u64(o, "pieces_applied", st->pieces);
	add_u64(o, "receive_rate", st->net_rate);
	add_u64(o, "apply_rate", st->send_rate);
	add_u64(o, "protocol_errors", st->protocol_errors);
	add_opt(o, "handoff_us", st->handoff_us.total);
	add_opt(o, "handoff_flush_us", st->handoff_us.flush);
	add_str(o, "last_error", st->last_error[0] ? st->last_error : NULL);
	enc_chunks_json(o, st);
}

json_object *mdm_status_json(const struct mdm_status *st)
{
	json_object *o = json_object_new_object();

	add_str(o, "device", st->name);
	add_u64(o, "major", st->major);
	add_u64(o, "minor", st->minor);
	add_str(o, "phase", mdm_phase_name(st->phase));
	add_str(o, "role", mdm_role_name(st->role));
	if (mdm_is_dest(st)) {
		dest_json(o, st);
		return o;
	}
	json_object_object_add(o, "paused", json_object_new_boolean(st->paused));
	add_u64(o, "round", st->round);
	add_u64(o, "chunk_bytes", st->chunk_bytes);
	add_u64(o, "chunks_total", st->total);
	add_u64(o, "chunks_dirty", st->dirty);
	add_u64(o, "bytes_read", st->bytes_read);
	add_u64(o, "bytes_wire", st->bytes_wire);
	add_u64(o, "chunks_sent", st->chunks_sent);
	add_u64(o, "zero_chunks", st->zero_chunks);
	add_u64(o, "writes_mirrored", st->writes);
	add_u64(o, "pieces_sent", st->pieces);
	json_object_object_add(o, "subchunk", json_object_new_boolean(st->subchunk));
	json_object_object_add(o, "peer_piece", json_object_new_boolean(st->peer_piece));
	json_object_object_add(o, "wire_ratio", st->has_wire_permille ?
			       json_object_new_double(st->wire_permille / 1000.0) : NULL);
	add_u64(o, "net_rate", st->net_rate);
	add_u64(o, "send_rate", st->send_rate);
	add_u64(o, "dirty_rate", st->dirty_rate);
	json_object_object_add(o, "eta_ms", st->has_eta ?
			       json_object_new_uint64(st->eta_ms) : NULL);
	add_u64(o, "write_throttle", st->write_throttle);
	json_object_object_add(o, "auto_throttle", json_object_new_boolean(st->auto_throttle));
	add_str(o, "converge_reason",
		st->converge_reason ? NAME_OF(reasons, st->converge_reason) : NULL);
	json_object_object_add(o, "prediction", predict_json(st));
	add_str(o, "peer", st->peer[0] ? st->peer : NULL);
	add_str(o, "connection", mdm_conn_name(st->conn));
	add_u64(o, "connections", st->connections);
	add_u64(o, "protocol_errors", st->protocol_errors);
	add_u64(o, "window_peak", st->window_peak);
	add_u64(o, "ack_timeouts", st->ack_timeouts);
	add_opt(o, "handoff_us", st->handoff_us.total);
	add_opt(o, "handoff_suspend_us", st->handoff_us.suspend);
	add_opt(o, "handoff_drain_us", st->handoff_us.drain);
	add_opt(o, "handoff_confirm_us", st->handoff_us.confirm);
	add_str(o, "last_error", st->last_error[0] ? st->last_error : NULL);
	encoding_json(o, st);
	enc_chunks_json(o, st);
	return o;
}

void mdm_show_status_json(FILE *f, const struct mdm_status *st)
{
	json_object *o = mdm_status_json(st);

	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

void mdm_show_event(FILE *f, const struct mdm_status *ev, bool json)
{
	char when[32], rate[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (json) {
		json_object *o = json_object_new_object();

		add_str(o, "event", mdm_event_name(ev->event));
		add_str(o, "device", ev->name);
		add_u64(o, "major", ev->major);
		add_u64(o, "minor", ev->minor);
		add_str(o, "phase", mdm_phase_name(ev->phase));
		add_u64(o, "round", ev->round);
		add_u64(o, "chunks_dirty", ev->dirty);
		json_object_object_add(o, "error", ev->error_code ?
				       json_object_new_string(strerror((int)ev->error_code)) : NULL);
		add_str(o, "message", ev->last_error[0] ? ev->last_error : NULL);
		if (ev->event == DM_MIGRATE_EV_CONVERGED)
			add_str(o, "reason", ev->converge_reason ?
				NAME_OF(reasons, ev->converge_reason) : NULL);
		if (ev->event == DM_MIGRATE_EV_THROTTLE)
			add_u64(o, "write_throttle", ev->write_throttle);
		add_u64(o, "time", (uint64_t)ts.tv_sec);
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(f, "%s %s: %s", when, ev->name, mdm_event_name(ev->event));
		if (ev->event == DM_MIGRATE_EV_PHASE)
			fprintf(f, " %s", mdm_phase_name(ev->phase));
		if (ev->event == DM_MIGRATE_EV_CONVERGED && ev->converge_reason)
			fprintf(f, ": %s", NAME_OF(reason_texts, ev->converge_reason));
		if (ev->event == DM_MIGRATE_EV_THROTTLE && ev->write_throttle)
			fprintf(f, ": guest writes held to %s/s",
				mdm_fmt_size(ev->write_throttle, rate, sizeof(rate)));
		else if (ev->event == DM_MIGRATE_EV_THROTTLE)
			fprintf(f, ": guest writes no longer held");
		if (ev->error_code)
			fprintf(f, " (%s)", strerror((int)ev->error_code));
		if (ev->last_error[0])
			fprintf(f, ": %s", ev->last_error);
		fprintf(f, "\n");
	}
	fflush(f);
}

void mdm_show_line(FILE *f, const struct mdm_status *st, bool bar, int width)
{
	char rate[32], eta[32], save[32], line[256];
	double pct = mdm_progress(st);
	int n, filled;

	mdm_fmt_size(st->net_rate, rate, sizeof(rate));
	if (mdm_is_dest(st)) {
		/* Received chunks; no rounds, savings or ETA on this side. */
		snprintf(line, sizeof(line), "%5.1f%%  %llu chunks applied  %s/s  %llu writes  %s",
			 pct, (unsigned long long)st->chunks_sent, rate,
			 (unsigned long long)st->writes, mdm_dest_conn_text(st->conn));
	} else {
		savings(st, save, sizeof(save));
		if (st->has_eta)
			mdm_fmt_duration(st->eta_ms, eta, sizeof(eta));
		else
			snprintf(eta, sizeof(eta), "-");
		snprintf(line, sizeof(line), "%5.1f%%  round %u  %s/s  savings %s  ETA %s%s",
			 pct, st->round, rate, save, eta, st->paused ? "  paused" : "");
	}
	if (!bar) {
		fprintf(f, "%s %s %s\n", st->name, mdm_phase_name(st->phase), line);
		fflush(f);
		return;
	}
	/* "[bulk      ] [#######.......] 45.2%  ..." redrawn in place. */
	n = width - (int)strlen(line) - 16;
	if (n < 10)
		n = 10;
	if (n > 40)
		n = 40;
	filled = (int)(pct / 100.0 * n + 0.5);
	fprintf(f, "\r[%-10s] [", mdm_phase_name(st->phase));
	for (int i = 0; i < n; i++)
		fputc(i < filled ? '#' : '.', f);
	fprintf(f, "] %s\033[K", line);
	fflush(f);
}
