// SPDX-License-Identifier: GPL-2.0
/* push and receive: start either end of a migration (keys, addresses). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "request.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex text (openssl rand -hex 32 > F) or 16 to 64 raw bytes; @dev for messages. */
static int read_key_file(const char *dev, const char *path, uint8_t *key, size_t *len)
{
	unsigned char buf[4096];
	size_t n = 0, i, hexlen;
	struct stat sb;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mdm_err("%s: cannot read key file %s: %s", dev, path, strerror(errno));
		return MDM_EXIT_USAGE;
	}
	if (!fstat(fd, &sb) && (sb.st_mode & 077))
		mdm_err("%s: warning: key file %s is readable by others (chmod 600 %s)",
			dev, path, path);
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)got;
	close(fd);

	hexlen = n;
	while (hexlen && (buf[hexlen - 1] == '\n' || buf[hexlen - 1] == ' ' ||
			  buf[hexlen - 1] == '\r' || buf[hexlen - 1] == '\t'))
		hexlen--;
	for (i = 0; i < hexlen && hexval(buf[i]) >= 0; i++)
		;
	if (i == hexlen && hexlen % 2 == 0 && hexlen >= 2 * DM_MIGRATE_MIN_KEY_LEN &&
	    hexlen <= 2 * DM_MIGRATE_MAX_KEY_LEN) {
		for (i = 0; i < hexlen / 2; i++)
			key[i] = (uint8_t)(hexval(buf[2 * i]) << 4 | hexval(buf[2 * i + 1]));
		*len = hexlen / 2;
	} else if (n >= DM_MIGRATE_MIN_KEY_LEN && n <= DM_MIGRATE_MAX_KEY_LEN) {
		memcpy(key, buf, n);
		*len = n;
	} else {
		mdm_err("%s: key file %s: want 32 to 128 hex digits or 16 to 64 raw bytes (openssl rand -hex 32 > %s makes one)",
			dev, path, path);
		memset(buf, 0, sizeof(buf));
		return MDM_EXIT_USAGE;
	}
	memset(buf, 0, sizeof(buf));
	return 0;
}

/*
 * "host:port" or "[v6]:port" to the numeric form the kernel takes.
 * Returns 0; -1 when @in is malformed (the caller says so); -2 when the
 * host does not resolve (said here, for @dev).
 */
static int resolve_addr(const char *dev, const char *in, char *out, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	char host[256], num[INET6_ADDRSTRLEN];
	struct addrinfo *res;
	const char *port;
	int r;

	if (in[0] == '[') {
		const char *end = strchr(in, ']');

		if (!end || end[1] != ':' || (size_t)(end - in - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(end - in - 1), in + 1);
		port = end + 2;
	} else {
		const char *colon = strrchr(in, ':');

		if (!colon || (size_t)(colon - in) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - in), in);
		port = colon + 1;
	}
	if (!*port || !*host)
		return -1;
	r = getaddrinfo(host, port, &hints, &res);
	if (r) {
		mdm_err("%s: cannot resolve %s: %s; give a numeric address or a name this host resolves",
			dev, host, gai_strerror(r));
		return -2;
	}
	if (res->ai_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)res->ai_addr;

		inet_ntop(AF_INET6, &s6->sin6_addr, num, sizeof(num));
		snprintf(out, len, "[%s]:%u", num, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)res->ai_addr;

		inet_ntop(AF_INET, &s4->sin_addr, num, sizeof(num));
		snprintf(out, len, "%s:%u", num, ntohs(s4->sin_port));
	}
	freeaddrinfo(res);
	return 0;
}

/* Address and key of push and receive. */
static int put_start(struct nl_msg *msg, struct opts *o)
{
	const char *where = o->to ? o->to : o->listen;
	uint8_t key[DM_MIGRATE_MAX_KEY_LEN];
	char addr[128];
	size_t len = 0;
	int r;

	r = resolve_addr(o->dev.name, where, addr, sizeof(addr));
	if (r) {
		if (r == -1)
			mdm_err("%s: invalid address '%s': want HOST:PORT or [IPV6]:PORT",
				o->dev.name, where);
		return -1;
	}
	if (o->key_file && read_key_file(o->dev.name, o->key_file, key, &len))
		return -1;
	r = nla_put_string(msg, DM_MIGRATE_A_PEER, addr) ||
	    (o->key_file && nla_put(msg, DM_MIGRATE_A_KEY, (int)len, key)) ||
	    (o->key_desc && nla_put_string(msg, DM_MIGRATE_A_KEY_DESC, o->key_desc)) ||
	    put_limits(msg, o);
	memset(key, 0, sizeof(key));
	return r;
}

struct conn_wait {
	const struct opts *o;
	int error;
	char text[128];
};

/* Until the push connected, or failed in a way retrying cannot fix. */
static int conn_cb(const struct mdm_status *ev, void *arg)
{
	struct conn_wait *w = arg;

	if (ev->major != w->o->dev.major || ev->minor != w->o->dev.minor)
		return 0;
	if (ev->event == DM_MIGRATE_EV_CONNECTED)
		return 1;
	if (ev->event == DM_MIGRATE_EV_ERROR) {
		w->error = (int)ev->error_code;
		snprintf(w->text, sizeof(w->text), "%s", ev->last_error);
		if (w->error == EACCES || w->error == EINVAL)
			return 2;
	}
	return 0;
}

static int cmd_start(struct opts *o, bool push)
{
	struct conn_wait w = { .o = o };
	struct mdm_nl nl, ev;
	struct nl_msg *msg;
	const char *what = push ? "push" : "receive";
	int r;

	if (!o->key_file == !o->key_desc) {
		mdm_err("%s: %s: give one of --key-file and --key-desc", o->dev.name, what);
		return MDM_EXIT_USAGE;
	}
	r = mdm_nl_open(&nl);
	if (r)
		return r;
	if (push && !o->no_wait) {
		r = mdm_nl_open_events(&ev);
		if (r) {
			mdm_nl_close(&nl);
			return r;
		}
	}
	msg = mdm_nl_msg(&nl, push ? DM_MIGRATE_CMD_PUSH : DM_MIGRATE_CMD_RECEIVE,
			 &o->dev, false);
	if (!msg || put_start(msg, o)) {
		nlmsg_free(msg);
		r = MDM_EXIT_USAGE;
		goto out;
	}
	r = mdm_nl_request(&nl, msg, NULL, NULL);
	if (r) {
		r = request_failed(&nl, o, what, r);
		goto out;
	}
	if (!push || o->no_wait)
		goto out;

	r = mdm_nl_events(&ev, (int)(o->wait_s * 1000), conn_cb, &w);
	if (r == 1) {
		printf("%s: pushing to %s\n", o->dev.name, o->to);
		r = 0;
	} else if (r == 2) {
		mdm_err("%s: the peer %s refused us: %s; push aborted. Use the same key, and volumes of the same size, on both hosts",
			o->dev.name, o->to, w.text);
		mdm_nl_request(&nl, mdm_nl_msg(&nl, DM_MIGRATE_CMD_ABORT, &o->dev, false),
			       NULL, NULL);
		r = MDM_EXIT_PEER;
	} else {
		mdm_err("%s: not connected to %s after %.0f s%s%s; the push keeps retrying (migrate-dm abort %s stops it)",
			o->dev.name, o->to, o->wait_s, w.text[0] ? ": " : "", w.text,
			o->dev.name);
		r = MDM_EXIT_PEER;
	}
out:
	if (push && !o->no_wait)
		mdm_nl_close(&ev);
	mdm_nl_close(&nl);
	return r;
}

int cmd_push(struct opts *o)
{
	return cmd_start(o, true);
}

int cmd_receive(struct opts *o)
{
	return cmd_start(o, false);
}
