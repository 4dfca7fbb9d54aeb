/*
 * store_msgs.c: a store's messages in memory: the array in download order,
 * each message's strings packed in one block, and the two maps (base name,
 * UIDL) to find them (see store_priv.h).
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/store.h>
#include <pouch/util.h>

#include "store_priv.h"

static size_t
hash(const char *s, size_t n)
{
	size_t h = 14695981039346656037ull;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The key of message i in map by_uid (uid) or by_name (base name). */
static const char *
key_of(const struct store *st, size_t i, int uid, size_t *n)
{
	const struct store_msg *m = &st->msgs[i];

	if (!m->file)
		return NULL;
	if (uid) {
		*n = strlen(m->uid);
		return *n ? m->uid : NULL;
	}
	{
		const char *base;

		*n = store_name_base(m->file, &base);
		return base;
	}
}

static size_t
map_find(const struct store *st, const struct store_map *mp, int uid,
    const char *k, size_t kn)
{
	size_t i, mask, h;

	if (!mp->cap)
		return (size_t)-1;
	mask = mp->cap - 1;
	h = hash(k, kn);
	for (i = h & mask; mp->slot[i].idx1; i = (i + 1) & mask) {
		size_t idx = mp->slot[i].idx1 - 1, n;
		const char *key;

		if (mp->slot[i].hash != h)
			continue;
		key = key_of(st, idx, uid, &n);
		if (key && n == kn && memcmp(key, k, kn) == 0)
			return idx;
	}
	return (size_t)-1;
}

static void
map_insert(struct store_map *mp, size_t idx1, size_t h)
{
	size_t i, mask = mp->cap - 1;

	for (i = h & mask; mp->slot[i].idx1; i = (i + 1) & mask)
		;
	mp->slot[i].idx1 = idx1;
	mp->slot[i].hash = h;
	mp->n++;
}

static int
map_put(struct store *st, struct store_map *mp, int uid, size_t idx)
{
	size_t n;
	const char *k = key_of(st, idx, uid, &n);

	if (!k)
		return 0;
	if ((mp->n + 1) * 2 > mp->cap) {
		size_t cap = mp->cap ? mp->cap * 2 : 1024, j;
		struct store_slot *old = mp->slot;
		size_t oldcap = mp->cap;

		mp->slot = calloc(cap, sizeof *mp->slot);
		if (!mp->slot) {
			mp->slot = old;
			return -1;
		}
		mp->cap = cap;
		mp->n = 0;
		for (j = 0; j < oldcap; j++)
			if (old[j].idx1)
				map_insert(mp, old[j].idx1, old[j].hash);
		free(old);
	}
	map_insert(mp, idx + 1, hash(k, n));
	return 0;
}

size_t
store_by_name(const struct store *st, const char *base, size_t n)
{
	return map_find(st, &st->by_name, 0, base, n);
}

size_t
store_by_uid(const struct store *st, const char *uid)
{
	return map_find(st, &st->by_uid, 1, uid, strlen(uid));
}

/* Drops forgotten messages (file == NULL) and rebuilds both maps. */
int
store_msgs_compact(struct store *st)
{
	size_t i, o = 0;

	for (i = 0; i < st->n && st->msgs[i].file; i++)
		;
	if (i == st->n)
		return 0;	/* nothing forgotten: the maps stand */
	for (i = 0; i < st->n; i++) {
		if (!st->msgs[i].file) {
			free(st->msgs[i].blk_);
			continue;
		}
		st->msgs[o++] = st->msgs[i];
	}
	st->n = o;
	free(st->by_name.slot);
	free(st->by_uid.slot);
	memset(&st->by_name, 0, sizeof st->by_name);
	memset(&st->by_uid, 0, sizeof st->by_uid);
	for (i = 0; i < st->n; i++)
		if (map_put(st, &st->by_name, 0, i) < 0 || map_put(st, &st->by_uid, 1, i) < 0)
			return -1;
	return 0;
}

int
store_msg_pack(struct store_msg *dst, const struct store_msg *src)
{
	const char *s[5] = { src->uid, src->file, src->from_name, src->from_addr,
	    src->subject };
	size_t len[5], total = 0, i;
	char *blk, *p;
	struct store_msg m = *src;

	for (i = 0; i < 5; i++) {
		len[i] = strlen(s[i] ? s[i] : "") + 1;
		total += len[i];
	}
	blk = malloc(total);
	if (!blk)
		return -1;
	p = blk;
	for (i = 0; i < 5; i++) {
		memcpy(p, s[i] ? s[i] : "", len[i]);
		s[i] = p;
		p += len[i];
	}
	m.uid = s[0];
	m.file = s[1];
	m.from_name = s[2];
	m.from_addr = s[3];
	m.subject = s[4];
	m.blk_ = blk;
	free(dst->blk_);
	*dst = m;
	return 0;
}

int
store_msgs_add(struct store *st, const struct store_msg *m)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		struct store_msg *nm = realloc(st->msgs, cap * sizeof *nm);

		if (!nm)
			return -1;
		st->msgs = nm;
		st->cap = cap;
	}
	memset(&st->msgs[st->n], 0, sizeof st->msgs[st->n]);
	if (store_msg_pack(&st->msgs[st->n], m) < 0)
		return -1;
	st->n++;
	if (map_put(st, &st->by_name, 0, st->n - 1) < 0 ||
	    map_put(st, &st->by_uid, 1, st->n - 1) < 0)
		return -1;
	return 0;
}

int
store_journal_msg(struct store *st, const struct store_msg *m)
{
	if (st->readonly)
		return 0;
	if (store_index_format_msg(&st->journal, m) < 0)
		return -1;
	st->jrecords++;
	return 0;
}

