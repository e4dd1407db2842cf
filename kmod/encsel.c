// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing how the next chunk is encoded (encsel.h).  Pure logic: builds
 * in the kernel and in userspace (tests/unit/) through portable.h.
 */
#include "encsel.h"

#define NS_PER_SEC	1000000000ULL

void mig_skip_reset(struct mig_skip *s)
{
	memset(s, 0, sizeof(*s));
}

int mig_skip_try(struct mig_skip *s, u32 len, u64 now_ns)
{
	if (!s->backoff)
		return MIG_SKIP_TRY;
	if (s->probing)
		return MIG_SKIP_NO;	/* one probe at a time */
	if (s->left >= len && now_ns < s->probe_ns) {
		s->left -= len;
		return MIG_SKIP_NO;
	}
	s->left = 0;
	s->probing = true;
	return MIG_SKIP_PROBE;
}

void mig_skip_done(struct mig_skip *s, u32 len, u32 enc_len, bool probe,
		   u64 now_ns)
{
	if (mig_skip_pays(len, enc_len)) {
		mig_skip_reset(s);
		return;
	}
	/* Tried before the skip began, finished while it or its probe runs. */
	if (s->backoff && !probe)
		return;
	if (++s->misses < MIG_SKIP_MISSES)
		return;
	s->probing = false;
	s->backoff = s->backoff ? min(s->backoff * 2, MIG_SKIP_MAX) : MIG_SKIP_MIN;
	s->left = s->backoff;
	s->probe_ns = now_ns + MIG_SKIP_PROBE_NS;
}

/* The compressors, in the order auto's probes try them. */
static const u8 compressors[] = {
	DM_MIGRATE_ENC_LZO, DM_MIGRATE_ENC_LZ4, DM_MIGRATE_ENC_ZSTD,
};

/* The wire encoding of each fixed choice. */
static const u8 choice_enc[] = {
	[DM_MIGRATE_ENCODE_LZO] = DM_MIGRATE_ENC_LZO,
	[DM_MIGRATE_ENCODE_LZ4] = DM_MIGRATE_ENC_LZ4,
	[DM_MIGRATE_ENCODE_ZSTD] = DM_MIGRATE_ENC_ZSTD,
	[DM_MIGRATE_ENCODE_RAW] = DM_MIGRATE_ENC_RAW,
};

static const char * const enc_names[] = DM_MIGRATE_ENC_NAMES;
static const char * const choice_names[] = DM_MIGRATE_ENCODE_NAMES;

bool mig_encsel_decodes(const struct mig_encsel *s, u8 enc)
{
	return enc < __DM_MIGRATE_ENC_MAX && (s->peer & DM_MIGRATE_HELLO_ENC(enc));
}

static bool is_auto(const struct mig_encsel *s)
{
	return s->choice == DM_MIGRATE_ENCODE_AUTO;
}

/* A fixed choice, as far as the peer decodes it (else LZO, which all do). */
static void resolve(struct mig_encsel *s)
{
	u8 enc;

	if (is_auto(s)) {
		if (!mig_encsel_decodes(s, s->used))
			s->used = DM_MIGRATE_ENC_LZO;
		return;
	}
	enc = choice_enc[s->choice];
	s->used = mig_encsel_decodes(s, enc) ? enc : DM_MIGRATE_ENC_LZO;
	s->why = s->used == enc ? MIG_WHY_ASKED :
		 s->old_peer ? MIG_WHY_OLD_PEER : MIG_WHY_PEER;
}

void mig_encsel_init(struct mig_encsel *s, u8 choice, u32 workers)
{
	memset(s, 0, sizeof(*s));
	s->workers = workers ? workers : 1;
	s->peer = DM_MIGRATE_ENC_BASE;
	s->used = DM_MIGRATE_ENC_LZO;
	mig_encsel_set_choice(s, choice);
}

void mig_encsel_set_choice(struct mig_encsel *s, u8 choice)
{
	s->choice = choice < __DM_MIGRATE_ENCODE_MAX ? choice : DM_MIGRATE_ENCODE_LZO;
	s->why = MIG_WHY_MEASURING;
	s->chose_ns = 0;
	resolve(s);
}

void mig_encsel_set_peer(struct mig_encsel *s, u32 encs, bool old_peer)
{
	s->peer = encs | DM_MIGRATE_ENC_BASE;
	s->old_peer = old_peer;
	resolve(s);
}

/* Auto's next probe: the next compressor the peer decodes. */
static u8 next_probe(struct mig_encsel *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(compressors); i++) {
		u8 enc = compressors[s->rotor++ % ARRAY_SIZE(compressors)];

		if (mig_encsel_decodes(s, enc))
			return enc;
	}
	return DM_MIGRATE_ENC_LZO;
}

/* A compressor the peer decodes has no figures yet: probe more often. */
static bool unmeasured(const struct mig_encsel *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(compressors); i++)
		if (mig_encsel_decodes(s, compressors[i]) &&
		    s->st[compressors[i]].in < MIG_STAT_MIN)
			return true;
	return false;
}

struct mig_pick mig_encsel_pick(struct mig_encsel *s, u32 len, u64 now_ns)
{
	struct mig_pick p = { .enc = s->used };
	int skip;

	if (is_auto(s) &&
	    ++s->tried % (unmeasured(s) ? MIG_AUTO_PROBE / 4 : MIG_AUTO_PROBE) == 0)
		p.enc = next_probe(s);
	if (p.enc == DM_MIGRATE_ENC_RAW)
		return p;
	skip = mig_skip_try(&s->skip, len, now_ns);
	if (skip == MIG_SKIP_NO)
		p.enc = DM_MIGRATE_ENC_RAW;
	p.probe = skip == MIG_SKIP_PROBE;
	return p;
}

static void stat_halve(struct mig_enc_stat *st)
{
	st->in /= 2;
	st->out /= 2;
	st->ns /= 2;
}

/*
 * A half-life passed.  A figure of few bytes that is still fed (a slow
 * link, rare probes) keeps them all, or it would never count; one that
 * was not fed since the last half-life fades whatever its size.
 */
static void stat_age(struct mig_enc_stat *st)
{
	if (!st->fed || st->in >= 4 * MIG_STAT_MIN)
		stat_halve(st);
	st->fed = false;
}

static void stat_add(struct mig_enc_stat *st, u32 in, u32 out, u64 ns)
{
	st->in += in;
	st->out += out;
	st->ns += ns;
	st->fed = true;
	if (st->in > MIG_STAT_MAX)
		stat_halve(st);	/* no overflow, whatever the time */
}

void mig_encsel_done(struct mig_encsel *s, struct mig_pick p, u32 len,
		     u32 enc_len, u64 fixed_ns, u64 enc_ns, u64 now_ns)
{
	stat_add(&s->fixed, len, len, fixed_ns);
	if (p.enc == DM_MIGRATE_ENC_RAW || p.enc >= __DM_MIGRATE_ENC_MAX)
		return;
	stat_add(&s->st[p.enc], len, min(enc_len, len), enc_ns);
	mig_skip_done(&s->skip, len, enc_len, p.probe, now_ns);
}

/* ns per MiB of data a figure says, or 0 if it has too few bytes. */
static u64 ns_per_mib(const struct mig_enc_stat *st)
{
	return st->in >= MIG_STAT_MIN ? div64_u64(st->ns << 20, st->in) ?: 1 : 0;
}

/*
 * The data rate @enc would reach, in bytes/s: what the workers encode and
 * what the link carries of it.  0 when it is not measured yet.
 */
static u64 data_rate(const struct mig_encsel *s, u8 enc, u64 *cost,
		     u64 *cpu, u64 *net)
{
	const struct mig_enc_stat *st = &s->st[enc];
	u64 fixed = ns_per_mib(&s->fixed), own = ns_per_mib(st);

	if (!fixed || (enc != DM_MIGRATE_ENC_RAW && !own))
		return 0;
	*cost = fixed + own;
	*cpu = div64_u64((u64)s->workers * NS_PER_SEC << 20, *cost);
	*net = !s->link ? U64_MAX : enc == DM_MIGRATE_ENC_RAW || !st->out ? s->link :
	       div64_u64(s->link * st->in, st->out);
	return min(*cpu, *net);
}

/* Auto: the encoding that moves the most data now (see encsel.h). */
static void choose(struct mig_encsel *s)
{
	static const u8 all[] = {
		DM_MIGRATE_ENC_RAW, DM_MIGRATE_ENC_LZO, DM_MIGRATE_ENC_LZ4,
		DM_MIGRATE_ENC_ZSTD,
	};
	u64 rate[ARRAY_SIZE(all)] = {}, cost[ARRAY_SIZE(all)] = {};
	u64 cpu[ARRAY_SIZE(all)] = {}, net[ARRAY_SIZE(all)] = {};
	u64 top = 0, cur_rate = 0, cur_cost = 0;
	unsigned int i, pick = ARRAY_SIZE(all);

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		rate[i] = mig_encsel_decodes(s, all[i]) ?
			  data_rate(s, all[i], &cost[i], &cpu[i], &net[i]) : 0;
		top = max(top, rate[i]);
		if (all[i] == s->used && rate[i]) {
			cur_rate = rate[i];
			cur_cost = cost[i];
		}
	}
	if (!top) {
		s->why = MIG_WHY_MEASURING;
		return;
	}
	/* Of the near-best, the cheapest. */
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (rate[i] && rate[i] >= top - top / 32 &&
		    (pick == ARRAY_SIZE(all) || cost[i] < cost[pick]))
			pick = i;
	/* Stay, unless clearly better, or as good and cheaper. */
	if (all[pick] != s->used && cur_rate &&
	    rate[pick] <= cur_rate + cur_rate / MIG_AUTO_HYST &&
	    !(rate[pick] >= cur_rate - cur_rate / 32 && cost[pick] < cur_cost)) {
		for (i = 0; i < ARRAY_SIZE(all); i++)
			if (all[i] == s->used)
				pick = i;
	}
	s->used = all[pick];
	s->cpu_rate = cpu[pick];
	s->net_rate = net[pick];
	s->why = net[pick] < cpu[pick] ? MIG_WHY_LINK : MIG_WHY_CPU;
}

void mig_encsel_link(struct mig_encsel *s, u64 bytes, u64 send_ns,
		     u64 wall_ns, u64 now_ns)
{
	if (bytes && send_ns && send_ns * 2 >= wall_ns) {
		u64 drain = div64_u64(bytes * NS_PER_SEC, send_ns);

		s->link = s->link ? (3 * s->link + drain) / 4 : drain;
		s->link_ns = now_ns;
	} else if (wall_ns && s->link) {
		/* Not the bottleneck: it drains at least what it carried. */
		s->link = max(s->link, div64_u64(bytes * NS_PER_SEC, wall_ns));
		if (now_ns - s->link_ns > MIG_LINK_FORGET_NS)
			s->link = 0;
	}
	if (now_ns - s->decay_ns >= MIG_STAT_HALF_NS) {
		unsigned int i;

		stat_age(&s->fixed);
		for (i = 0; i < ARRAY_SIZE(s->st); i++)
			stat_age(&s->st[i]);
		s->decay_ns = now_ns;
	}
	if (is_auto(s) && now_ns - s->chose_ns >= MIG_AUTO_CHOOSE_NS) {
		choose(s);
		s->chose_ns = now_ns;
	}
}

void mig_encsel_link_changed(struct mig_encsel *s)
{
	s->link = 0;
	s->chose_ns = 0;
}

u8 mig_encsel_used(const struct mig_encsel *s)
{
	return s->used;
}

static unsigned long long in_mb(u64 bytes)
{
	return div64_u64(bytes, 1000000);
}

/* "2.4:1", the ratio of data to wire bytes of @enc, rounded. */
static void ratio_text(const struct mig_encsel *s, u8 enc, char *buf, size_t size)
{
	const struct mig_enc_stat *st = &s->st[enc];
	u64 tenths = enc == DM_MIGRATE_ENC_RAW || !st->out ? 10 :
		     div64_u64(st->in * 10 + st->out / 2, st->out);

	scnprintf(buf, size, "%llu.%llu:1", (unsigned long long)(tenths / 10),
		  (unsigned long long)(tenths % 10));
}

void mig_encsel_explain(const struct mig_encsel *s, char *buf, size_t size)
{
	const char *enc = enc_names[s->used], *asked = choice_names[s->choice];
	char ratio[24];
	int n;

	ratio_text(s, s->used, ratio, sizeof(ratio));
	switch (s->why) {
	case MIG_WHY_ASKED:
		n = scnprintf(buf, size, "%s: as asked", enc);
		break;
	case MIG_WHY_PEER:
		n = scnprintf(buf, size,
			      "%s: %s asked, which the peer does not decode",
			      enc, asked);
		break;
	case MIG_WHY_OLD_PEER:
		n = scnprintf(buf, size,
			      "%s: %s asked, but the peer negotiates no encodings (an older dm-migrate)",
			      enc, asked);
		break;
	case MIG_WHY_LINK:
		n = scnprintf(buf, size,
			      "%s: auto: the link is the bottleneck (it drains %llu MB/s; %s; the CPU would encode %llu MB/s)",
			      enc, in_mb(s->link), ratio, in_mb(s->cpu_rate));
		break;
	case MIG_WHY_CPU:
		if (s->link)
			n = scnprintf(buf, size,
				      "%s: auto: the CPU is the bottleneck (%llu MB/s of data, %s; the link drains %llu MB/s)",
				      enc, in_mb(s->cpu_rate), ratio, in_mb(s->link));
		else
			n = scnprintf(buf, size,
				      "%s: auto: the CPU is the bottleneck (%llu MB/s of data, %s; the link not measured yet)",
				      enc, in_mb(s->cpu_rate), ratio);
		break;
	default:
		n = scnprintf(buf, size, "%s: auto: measuring", enc);
	}
	if (s->skip.backoff && s->used != DM_MIGRATE_ENC_RAW)
		scnprintf(buf + n, size - n,
			  "; the last chunks did not compress: sending them raw");
}
