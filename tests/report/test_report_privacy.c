/* Privacy property test over 1,000 random communities (seeded PRNG), and
 * aggregation checked against sums computed here independently.
 *
 * For every report: no published cell is over 1..k-1 people; published
 * figures equal the true ones (k = 1 build); suppressed cells are zeroed;
 * no complement of a published subset of the members is 1..k-1 people.
 * For the hub aggregates: the same, with the hub's k; a total minus the
 * other published rows never gives back a suppressed or withheld cell; the
 * sums and weighted means equal ours. */
#define _GNU_SOURCE
#include "px.h"
#include "px_report.h"
#include "pxt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_COMMUNITIES 1000
#define HUB_K 5

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static int
rnd(int n)
{
	return n > 0 ? (int)(rng() % (uint64_t)n) : 0;
}

static int32_t
rnd_date(int year)
{
	int m = 1 + rnd(12);
	return year * 10000 + m * 100 + 1 + rnd(px_days_in_month(year, m));
}

typedef struct world {
	pxp_member mem[60];
	pxp_protocol prot[60];
	pxp_meeting meet[12];
	pxp_attendance att[60 * 12];
	pxp_hours hrs[120];
	pxp_survey sv[60];
	int32_t answers[60][3];
	pxp_plan_item plan[8];
	char uid[32];
	pxp_community c;
} world;

static const char *const frameworks[] = {"laurentides", "rocfm", "cisss"};
static const char *const regions[] = {"Laurentides", "Montréal", "Bruxelles"};
static const char *const tenants[] = {"t1", "t2", "t3", "t4"};
static const char *const survey_periods[] = {"2025", "2025-03", "2025-Q2", "2024", "2025-11"};

static void
world_make(world *w, int idx)
{
	memset(w, 0, sizeof *w);
	/* Sizes skewed small so that every suppression path is hit. */
	int shape = rnd(4);
	int nm = shape == 0 ? rnd(6) : shape == 1 ? 4 + rnd(10) : 8 + rnd(52);
	for (int i = 0; i < nm; i++) {
		pxp_member *m = &w->mem[i];
		m->id = (uint64_t)i + 1;
		m->org_id = 1 + (uint64_t)rnd(6);
		int st = rnd(10);
		m->status = st < 6    ? PXP_MEMBER_ACTIVE
		            : st == 6 ? PXP_MEMBER_CANDIDATE
		            : st == 7 ? PXP_MEMBER_ALUMNI
		            : st == 8 ? PXP_MEMBER_CANCELLED
		                      : PXP_MEMBER_SUSPENDED;
		m->joined = rnd(3) == 0 ? rnd_date(2025) : rnd_date(2023);
		if (m->status == PXP_MEMBER_ALUMNI || m->status == PXP_MEMBER_CANCELLED)
			m->left = rnd(2) ? rnd_date(2025) : rnd_date(2024);
		if (m->left != 0 && m->left < m->joined)
			m->left = m->joined;
		m->job_title = "";
		m->discipline = "";
		pxp_protocol *p = &w->prot[i];
		p->member_id = m->id;
		p->member_signed = rnd(8) != 0;
		p->member_sig_valid = p->member_signed && rnd(10) != 0;
		p->director_signed = rnd(8) != 0;
		p->director_sig_valid = p->director_signed;
		p->cancelled = rnd(15) == 0;
	}
	int nmt = rnd(12);
	size_t na = 0;
	for (int j = 0; j < nmt; j++) {
		w->meet[j] = (pxp_meeting){
		    .id = (uint64_t)j + 100, .date = rnd_date(2025), .duration_hours = 1 + rnd(4)};
		for (int i = 0; i < nm; i++) {
			if (rnd(3) == 0)
				continue;
			w->att[na++] = (pxp_attendance){.meeting_id = w->meet[j].id,
			                                .member_id = (uint64_t)i + 1,
			                                .rsvp = rnd(3),
			                                .present = rnd(4) != 0,
			                                .hours = rnd(3) == 0 ? 0.5 * rnd(8) : 0};
		}
	}
	size_t nh = 0;
	for (int i = 0; i < nm && nh < 120; i++)
		for (int t = rnd(3); t > 0 && nh < 120; t--)
			w->hrs[nh++] =
			    (pxp_hours){(uint64_t)i + 1, 202500 + 1 + rnd(12), 0.5 * (1 + rnd(10))};
	size_t ns = 0;
	for (int i = 0; i < nm; i++) {
		if (rnd(2))
			continue;
		int n = rnd(4);
		for (int a = 0; a < n; a++)
			w->answers[ns][a] = rnd(7); /* 0 and 6 are out of range */
		w->sv[ns] = (pxp_survey){(uint64_t)i + 1, survey_periods[rnd(5)], w->answers[ns],
		                         (size_t)n};
		ns++;
	}
	int np = rnd(8);
	for (int j = 0; j < np; j++)
		w->plan[j] = (pxp_plan_item){.id = (uint32_t)j + 1,
		                             .level = PXP_PLAN_SPECIFIC,
		                             .obtained = rnd(3),
		                             .category = ""};
	snprintf(w->uid, sizeof w->uid, "node%d:%d", idx % 7, idx);
	pxp_community *c = &w->c;
	c->size = sizeof *c;
	c->id = (uint64_t)idx;
	c->name = "CdP";
	c->framework = frameworks[rnd(3)];
	c->region = regions[rnd(3)];
	c->job_title = "";
	c->sponsor = "";
	c->today = 20251231;
	c->members = w->mem;
	c->n_members = (size_t)nm;
	c->protocols = w->prot;
	c->n_protocols = (size_t)nm;
	c->meetings = w->meet;
	c->n_meetings = (size_t)nmt;
	c->attendance = w->att;
	c->n_attendance = na;
	c->hours = w->hrs;
	c->n_hours = nh;
	c->surveys = w->sv;
	c->n_surveys = ns;
	c->plan = w->plan;
	c->n_plan = (size_t)np;
}

/* The test's own classification, written from px_report.h's table. */
typedef enum { C_PLAIN, C_PEOPLE, C_SUM, C_MEAN } cat;

static cat
cat_of(const char *name, uint32_t pop)
{
	static const char *const people[] = {PX_IND_MEMBERS_ACTIVE, PX_IND_MEMBERS_NEW,
	                                     PX_IND_MEMBERS_LEFT, PX_IND_PROTOCOLS_SIGNED_VALID,
	                                     PX_IND_MEMBERS_OVER_CAP};
	static const char *const means[] = {PX_IND_ATTENDANCE_RATE, PX_IND_RSVP_RATE,
	                                    PX_IND_HOURS_PER_MEMBER_MEAN, PX_IND_SATISFACTION_MEAN};
	static const char *const sums[] = {PX_IND_ORGANIZATIONS, PX_IND_HOURS_TOTAL,
	                                   PX_IND_SURVEYS};
	static const char *const plain[] = {PX_IND_MEETINGS_HELD, PX_IND_MEETINGS_EXPECTED,
	                                    PX_IND_PLAN_OBJECTIVES_YES, PX_IND_PLAN_OBJECTIVES_NO};
	for (size_t i = 0; i < 5; i++)
		if (strcmp(name, people[i]) == 0)
			return C_PEOPLE;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(name, means[i]) == 0)
			return C_MEAN;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(name, sums[i]) == 0)
			return C_SUM;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(name, plain[i]) == 0)
			return C_PLAIN;
	return pop > 0 ? C_SUM : C_PLAIN; /* plugin indicators */
}

static const Praxis__Indicator *
ind(const Praxis__CommunityReport *r, const char *name)
{
	const Praxis__Indicator *in = px_report_find(r, name);
	if (in == NULL)
		fail_msg("%s missing", name);
	return in;
}

/* Statistics that show the property test is not vacuous. */
static struct {
	long published_people, suppressed_primary, suppressed_complement, zero_published;
	long withheld_by_hub;
} st;

static void
check_report(const Praxis__CommunityReport *r, const Praxis__CommunityReport *truth, uint32_t k)
{
	assert_int_equal(r->n_indicators, truth->n_indicators);
	char msg[200];
	if (px_report_validate(r, msg, sizeof msg) != PX_OK)
		fail_msg("validate: %s", msg);
	for (size_t i = 0; i < r->n_indicators; i++) {
		const Praxis__Indicator *in = r->indicators[i], *t = truth->indicators[i];
		assert_string_equal(in->name, t->name);
		cat c = cat_of(in->name, t->population);
		if (in->suppressed) {
			assert_true(in->value == 0 && in->population == 0);
			assert_true(c != C_PLAIN);
			if (t->population > 0 && t->population < k)
				st.suppressed_primary++;
			else
				st.suppressed_complement++;
			continue;
		}
		/* Published: the true figure, over 0 or >= k people. */
		assert_true(fabs(in->value - t->value) < 1e-9);
		assert_int_equal(in->population, t->population);
		switch (c) {
		case C_PEOPLE:
			assert_true(in->value == in->population);
			assert_true(in->population == 0 || in->population >= k);
			st.published_people++;
			if (in->population == 0)
				st.zero_published++;
			break;
		case C_SUM:
			assert_true(in->population >= k || (in->population == 0 && in->value == 0));
			break;
		case C_MEAN:
			assert_true(in->population >= k);
			break;
		case C_PLAIN:
			break;
		}
	}
	/* Complements within the report. */
	const Praxis__Indicator *a = ind(r, PX_IND_MEMBERS_ACTIVE);
	if (!a->suppressed) {
		for (size_t i = 0; i < r->n_indicators; i++) {
			const Praxis__Indicator *in = r->indicators[i];
			if (in == a || in->suppressed || in->population == 0 ||
			    cat_of(in->name, 1) == C_PLAIN)
				continue;
			int64_t rest = (int64_t)a->value - (int64_t)in->population;
			if (rest > 0 && rest < (int64_t)k)
				fail_msg("%s: members_active %g - %u = %lld people", in->name,
				         a->value, in->population, (long long)rest);
		}
		const Praxis__Indicator *nw = ind(r, PX_IND_MEMBERS_NEW),
		                        *lf = ind(r, PX_IND_MEMBERS_LEFT);
		if (!nw->suppressed && !lf->suppressed) {
			int64_t rest = (int64_t)(a->value - nw->value - lf->value);
			assert_false(rest > 0 && rest < (int64_t)k);
		}
	} else {
		/* The community itself is a small cell: nothing about its people
		 * beyond zeros may show. */
		for (size_t i = 0; i < r->n_indicators; i++) {
			const Praxis__Indicator *in = r->indicators[i];
			if (!in->suppressed && cat_of(in->name, 1) != C_PLAIN)
				assert_true(in->population == 0 || in->population >= k);
		}
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		const Praxis__FindingCount *f = r->findings[i];
		assert_true(f->suppressed ? f->count == 0 : (f->count == 0 || f->count >= k));
	}
}

/* What the hub may add of one report cell (rule A1), computed here. */
static bool
included1(const Praxis__Indicator *in, uint32_t k)
{
	if (in->suppressed)
		return false;
	if (in->population > 0 && in->population < k)
		return false;
	if (cat_of(in->name, in->population) == C_PEOPLE && in->value > 0 && in->value < k)
		return false;
	return true;
}

static const Praxis__Indicator *ind(const Praxis__CommunityReport *r, const char *name);

/* With the links of R2: hours cells go together and with members_active;
 * organizations with members_active. */
static bool
included(const Praxis__CommunityReport *r, const Praxis__Indicator *in, uint32_t k)
{
	bool ok = included1(in, k);
	bool act = included1(ind(r, PX_IND_MEMBERS_ACTIVE), k);
	if (strcmp(in->name, PX_IND_HOURS_TOTAL) == 0 ||
	    strcmp(in->name, PX_IND_HOURS_PER_MEMBER_MEAN) == 0)
		return ok && act && included1(ind(r, PX_IND_HOURS_TOTAL), k) &&
		       included1(ind(r, PX_IND_HOURS_PER_MEMBER_MEAN), k);
	if (strcmp(in->name, PX_IND_ORGANIZATIONS) == 0)
		return ok && act;
	return ok;
}

static const char *
key_of(const Praxis__CommunityReport *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s|%s", r->framework, r->region);
	return buf;
}

static const Praxis__Indicator *
row_ind(const Praxis__AggregateRow *row, const char *name)
{
	for (size_t i = 0; i < row->n_indicators; i++)
		if (strcmp(row->indicators[i]->name, name) == 0)
			return row->indicators[i];
	return NULL;
}

/* Within each row and the total, members_active minus a published subset
 * of the members (R3 at the hub's k) is 0 or >= k. */
static void
check_row_complements(const Praxis__AggregateResponse *agg)
{
	const char *subsets[] = {
	    PX_IND_MEMBERS_NEW, PX_IND_MEMBERS_LEFT, PX_IND_PROTOCOLS_SIGNED_VALID,
	    PX_IND_SURVEYS,     PX_IND_HOURS_TOTAL,  PX_IND_ATTENDANCE_RATE};
	for (size_t rI = 0; rI < agg->n_rows + 1; rI++) {
		const Praxis__AggregateRow *row = rI < agg->n_rows ? agg->rows[rI] : agg->total;
		const Praxis__Indicator *a = row_ind(row, PX_IND_MEMBERS_ACTIVE);
		if (a->suppressed)
			continue;
		for (size_t q = 0; q < sizeof subsets / sizeof subsets[0]; q++) {
			const Praxis__Indicator *c = row_ind(row, subsets[q]);
			if (c->suppressed || c->population == 0)
				continue;
			int64_t rest = (int64_t)a->population - (int64_t)c->population;
			if (rest > 0 && rest < HUB_K)
				fail_msg("row %zu: members_active %u - %s %u = %lld", rI,
				         a->population, subsets[q], c->population, (long long)rest);
		}
	}
}

static void
check_aggregate(Praxis__CommunityReport **sent, const char **tens, size_t n)
{
	px_agg_item *items = calloc(n, sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = (px_agg_item){sent[i], tens[i]};
	/* What the hub sees of each report: a node's smaller k raised to the
	 * hub's (rule A1), on a copy. */
	Praxis__CommunityReport **reps = calloc(n, sizeof *reps);
	for (size_t i = 0; i < n; i++) {
		size_t len = praxis__community_report__get_packed_size(sent[i]);
		uint8_t *buf = malloc(len + 1);
		praxis__community_report__pack(sent[i], buf);
		reps[i] = praxis__community_report__unpack(NULL, len, buf);
		free(buf);
		if (reps[i]->k < HUB_K)
			px_report_suppress(reps[i], HUB_K);
	}
	Praxis__AggregateResponse *agg = NULL;
	assert_int_equal(
	    px_agg_build(items, n, PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION, HUB_K, &agg), PX_OK);
	assert_int_equal(agg->n_rows, 9);
	const char *names[] = {
	    PX_IND_MEMBERS_ACTIVE,    PX_IND_MEMBERS_NEW, PX_IND_PROTOCOLS_SIGNED_VALID,
	    PX_IND_MEETINGS_HELD,     PX_IND_HOURS_TOTAL, PX_IND_ATTENDANCE_RATE,
	    PX_IND_SATISFACTION_MEAN, PX_IND_SURVEYS,     PX_IND_ORGANIZATIONS};
	uint32_t total_communities = 0;
	for (size_t rI = 0; rI < agg->n_rows; rI++) {
		const Praxis__AggregateRow *row = agg->rows[rI];
		char want[128], got[128];
		snprintf(want, sizeof want, "%s|%s", row->framework, row->region);
		assert_string_equal(row->tenant, "");
		total_communities += row->communities;
		for (size_t q = 0; q < sizeof names / sizeof names[0]; q++) {
			/* Our own sum over the reports of this group. */
			double sum = 0, wsum = 0, w = 0;
			uint64_t pop = 0;
			uint32_t contrib = 0, withheld = 0, members = 0;
			bool mean = px_agg_is_mean(names[q]);
			for (size_t i = 0; i < n; i++) {
				if (strcmp(key_of(reps[i], got, sizeof got), want) != 0)
					continue;
				members++;
				const Praxis__Indicator *in = ind(reps[i], names[q]);
				if (!included(reps[i], in, HUB_K)) {
					withheld++;
					continue;
				}
				contrib++;
				pop += in->population;
				sum += in->value;
				double wi = in->population ? in->population : 1;
				wsum += in->value * wi;
				w += wi;
			}
			assert_int_equal(row->communities, members);
			const Praxis__Indicator *ai = row_ind(row, names[q]);
			assert_non_null(ai);
			assert_int_equal(ai->contributors, contrib);
			assert_int_equal(ai->withheld, withheld);
			st.withheld_by_hub += withheld;
			if (ai->suppressed) {
				assert_true(ai->value == 0 && ai->population == 0);
				/* Suppressed only when nothing (or only small cells) is behind it.
				 */
				assert_true(contrib == 0 || (pop > 0 && pop < HUB_K));
				continue;
			}
			double expect_v = mean ? (w > 0 ? wsum / w : 0) : sum;
			if (fabs(ai->value - expect_v) > 1e-6 * (1 + fabs(expect_v)))
				fail_msg("%s %s: %g != %g", want, names[q], ai->value, expect_v);
			assert_int_equal(ai->population, pop);
			assert_true(ai->population == 0 || ai->population >= HUB_K);
		}
	}
	assert_int_equal(total_communities, n);
	check_row_complements(agg);
	/* The hours mean of a group is exactly its hours over its members. */
	for (size_t rI = 0; rI < agg->n_rows; rI++) {
		const Praxis__Indicator *m = row_ind(agg->rows[rI], PX_IND_HOURS_PER_MEMBER_MEAN);
		const Praxis__Indicator *h = row_ind(agg->rows[rI], PX_IND_HOURS_TOTAL);
		if (m->suppressed || m->contributors == 0)
			continue;
		char want[128], got[128];
		snprintf(want, sizeof want, "%s|%s", agg->rows[rI]->framework,
		         agg->rows[rI]->region);
		double hours = 0, members = 0;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(key_of(reps[i], got, sizeof got), want) != 0)
				continue;
			const Praxis__Indicator *mi = ind(reps[i], PX_IND_HOURS_PER_MEMBER_MEAN);
			if (!included(reps[i], mi, HUB_K))
				continue;
			hours += ind(reps[i], PX_IND_HOURS_TOTAL)->value;
			members += ind(reps[i], PX_IND_MEMBERS_ACTIVE)->value;
		}
		assert_true(fabs(m->value - hours / members) < 1e-9 * (1 + m->value));
		assert_true(fabs(h->value - hours) < 1e-6 * (1 + hours));
	}
	/* One report at a time, in reverse order: the same rows. */
	px_agg *st1 = NULL;
	assert_int_equal(px_agg_new(PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION, HUB_K, &st1), PX_OK);
	for (size_t i = n; i-- > 0;)
		assert_int_equal(px_agg_add(st1, reps[i], tens[i]), PX_OK);
	Praxis__AggregateResponse *agg2 = NULL;
	assert_int_equal(px_agg_finish(st1, &agg2), PX_OK);
	/* Sums in another order may differ in the last bit: compare rows' keys
	 * and counts exactly, values closely. */
	assert_int_equal(agg->n_rows, agg2->n_rows);
	for (size_t rI = 0; rI < agg->n_rows; rI++) {
		assert_string_equal(agg->rows[rI]->framework, agg2->rows[rI]->framework);
		assert_string_equal(agg->rows[rI]->region, agg2->rows[rI]->region);
		assert_int_equal(agg->rows[rI]->n_indicators, agg2->rows[rI]->n_indicators);
		for (size_t q = 0; q < agg->rows[rI]->n_indicators; q++) {
			const Praxis__Indicator *x = agg->rows[rI]->indicators[q],
			                        *y = agg2->rows[rI]->indicators[q];
			assert_string_equal(x->name, y->name);
			assert_int_equal(x->population, y->population);
			assert_int_equal(x->suppressed, y->suppressed);
			assert_true(fabs(x->value - y->value) < 1e-9 * (1 + fabs(x->value)));
		}
	}
	px_agg_free(agg2);
	assert_int_equal(agg->total->communities, n);
	/* Total minus the published rows: the people hidden are 0 or >= k. */
	for (size_t q = 0; q < sizeof names / sizeof names[0]; q++) {
		const Praxis__Indicator *ti = row_ind(agg->total, names[q]);
		if (ti->suppressed)
			continue;
		uint64_t shown = 0;
		for (size_t rI = 0; rI < agg->n_rows; rI++) {
			const Praxis__Indicator *ri = row_ind(agg->rows[rI], names[q]);
			if (!ri->suppressed)
				shown += ri->population;
		}
		uint64_t hidden = ti->population - shown;
		assert_true(hidden == 0 || hidden >= HUB_K);
	}
	px_agg_free(agg);

	/* One row per community: every cell the node suppressed or the hub
	 * withheld is absent from the total, so the total minus every other
	 * published row gives 0 for it, never its true value. */
	assert_int_equal(px_agg_build(items, n, PX_AGG_BY_COMMUNITY, HUB_K, &agg), PX_OK);
	assert_int_equal(agg->n_rows, n);
	check_row_complements(agg);
	long hidden_cells = 0;
	for (size_t q = 0; q < sizeof names / sizeof names[0]; q++) {
		const Praxis__Indicator *ti = row_ind(agg->total, names[q]);
		if (ti->suppressed || px_agg_is_mean(names[q]))
			continue;
		double published = 0;
		for (size_t rI = 0; rI < agg->n_rows; rI++) {
			const Praxis__Indicator *ri = row_ind(agg->rows[rI], names[q]);
			if (!ri->suppressed)
				published += ri->value;
		}
		for (size_t rI = 0; rI < agg->n_rows; rI++) {
			const Praxis__Indicator *ri = row_ind(agg->rows[rI], names[q]);
			if (!ri->suppressed)
				continue;
			hidden_cells++;
			double others = published; /* ri is not among the published */
			assert_true(fabs(ti->value - others) < 1e-6 * (1 + fabs(others)));
		}
	}
	assert_true(hidden_cells > 0);
	px_agg_free(agg);
	free(items);
	for (size_t i = 0; i < n; i++)
		px_report_free(reps[i]);
	free(reps);
}

static void
test_privacy_property(void **state)
{
	(void)state;
	rng_state = 0x5eed2025cdbULL;
	static const uint32_t ks[] = {3, 5, 5, 5, 10};
	world *w = malloc(sizeof *w);
	Praxis__CommunityReport **year = calloc(N_COMMUNITIES, sizeof *year);
	const char **tens = calloc(N_COMMUNITIES, sizeof *tens);
	for (int i = 0; i < N_COMMUNITIES; i++) {
		world_make(w, i);
		uint32_t k = ks[rnd(5)];
		px_indicator plug[] = {{"tools_produced", rnd(4), 0},
		                       {"directory_rate", 0.1 * rnd(11), (uint32_t)rnd(60)}};
		px_finding_count fc[] = {{"LAU-1", PXP_ERROR, (uint32_t)rnd(12)},
		                         {"LAU-3", PXP_WARNING, (uint32_t)rnd(3)}};
		px_report_opts o = {.community_uid = w->uid,
		                    .k = k,
		                    .revision = 1,
		                    .meetings_expected = 12,
		                    .hours_cap = rnd(2) ? 24 : 0,
		                    .plugin_ok = true};
		px_report_opts o1 = o;
		o1.k = 1;
		/* A random period for the per-report check, the year for the hub. */
		px_period p;
		int kind = rnd(3);
		p = kind == 0   ? (px_period){PX_PERIOD_MONTH, 2025, 1 + rnd(12)}
		    : kind == 1 ? (px_period){PX_PERIOD_QUARTER, 2025, 1 + rnd(4)}
		                : (px_period){PX_PERIOD_YEAR, 2025, 0};
		Praxis__CommunityReport *r = NULL, *t = NULL;
		assert_int_equal(px_report_build(&w->c, p, &o, fc, 2, plug, 2, &r), PX_OK);
		assert_int_equal(px_report_build(&w->c, p, &o1, fc, 2, plug, 2, &t), PX_OK);
		check_report(r, t, k);
		px_report_free(r);
		px_report_free(t);
		px_period y = {PX_PERIOD_YEAR, 2025, 0};
		assert_int_equal(px_report_build(&w->c, y, &o, fc, 2, plug, 2, &year[i]), PX_OK);
		assert_int_equal(px_report_build(&w->c, y, &o1, fc, 2, plug, 2, &t), PX_OK);
		check_report(year[i], t, k);
		px_report_free(t);
		tens[i] = tenants[rnd(4)];
	}
	check_aggregate(year, tens, N_COMMUNITIES);
	print_message("published people cells %ld (zeros %ld), suppressed primary %ld, "
	              "complement/linked %ld, withheld by the hub %ld\n",
	              st.published_people, st.zero_published, st.suppressed_primary,
	              st.suppressed_complement, st.withheld_by_hub);
	/* Every path was exercised. */
	assert_true(st.published_people > 1000);
	assert_true(st.suppressed_primary > 100);
	assert_true(st.suppressed_complement > 100);
	assert_true(st.withheld_by_hub > 0);
	for (int i = 0; i < N_COMMUNITIES; i++)
		px_report_free(year[i]);
	free(year);
	free(tens);
	free(w);
}

/* Small hand-made reports: revision dedupe, hub k above the node's,
 * findings, trends. */
static Praxis__CommunityReport *
mk(const char *uid, const char *period, uint32_t rev, uint32_t k, double active, double sat,
   uint32_t sat_pop)
{
	Praxis__CommunityReport *r = malloc(sizeof *r);
	praxis__community_report__init(r);
	r->community_uid = strdup(uid);
	r->community_name = strdup("");
	r->framework = strdup("rocfm");
	r->region = strdup("Montréal");
	r->period = strdup(period);
	r->period_kind = strlen(period) == 4 ? PRAXIS__PERIOD_KIND__PERIOD_YEAR
	                                     : PRAXIS__PERIOD_KIND__PERIOD_MONTH;
	r->revision = rev;
	r->k = k;
	r->n_indicators = 3;
	r->indicators = calloc(3, sizeof *r->indicators);
	const char *nm[] = {PX_IND_MEMBERS_ACTIVE, PX_IND_SATISFACTION_MEAN, PX_IND_MEETINGS_HELD};
	double v[] = {active, sat, 10};
	uint32_t pp[] = {(uint32_t)active, sat_pop, 0};
	for (int i = 0; i < 3; i++) {
		Praxis__Indicator *in = malloc(sizeof *in);
		praxis__indicator__init(in);
		in->name = strdup(nm[i]);
		in->value = v[i];
		in->population = pp[i];
		r->indicators[i] = in;
	}
	r->n_findings = 1;
	r->findings = calloc(1, sizeof *r->findings);
	r->findings[0] = malloc(sizeof *r->findings[0]);
	praxis__finding_count__init(r->findings[0]);
	r->findings[0]->rule_id = strdup("ROC-2");
	r->findings[0]->count = (uint32_t)active % 7;
	px_report_suppress(r, k);
	return r;
}

static void
test_agg_rules(void **state)
{
	(void)state;
	Praxis__CommunityReport *rs[] = {
	    mk("a", "2025", 1, 5, 10, 3.0, 10), /* superseded by revision 2 */
	    mk("a", "2025", 2, 5, 12, 4.0, 12),
	    mk("a", "2025", 2, 5, 12, 4.0, 12), /* pushed twice: counted once */
	    mk("b", "2025", 1, 5, 6, 2.0, 6),
	    mk("c", "2025", 1, 3, 4, 5.0, 4), /* node k = 3: 4 people pass there, not at the hub */
	    mk("a", "2024", 1, 5, 8, 3.0, 8),
	    mk("b", "2024", 1, 5, 5, 3.0, 5),
	};
	size_t n = sizeof rs / sizeof rs[0];
	px_agg_item items[7];
	for (size_t i = 0; i < n; i++)
		items[i] = (px_agg_item){rs[i], "t1"};
	Praxis__AggregateResponse *agg = NULL;
	assert_int_equal(px_agg_build(items, n, PX_AGG_BY_PERIOD, HUB_K, &agg), PX_OK);
	assert_int_equal(agg->n_rows, 2);
	const Praxis__AggregateRow *y24 = agg->rows[0], *y25 = agg->rows[1];
	assert_string_equal(y24->period, "2024");
	assert_string_equal(y25->period, "2025");
	assert_string_equal(y25->framework, "");
	assert_int_equal(y25->communities, 3);
	const Praxis__Indicator *act = row_ind(y25, PX_IND_MEMBERS_ACTIVE);
	assert_false(act->suppressed);
	assert_true(act->value == 18); /* 12 + 6; c's 4 withheld */
	assert_int_equal(act->population, 18);
	assert_int_equal(act->contributors, 2);
	assert_int_equal(act->withheld, 1);
	const Praxis__Indicator *sat = row_ind(y25, PX_IND_SATISFACTION_MEAN);
	assert_true(fabs(sat->value - (4.0 * 12 + 2.0 * 6) / 18) < 1e-9);
	const Praxis__Indicator *mh = row_ind(y25, PX_IND_MEETINGS_HELD);
	assert_true(mh->value == 30); /* not about people: all three */
	/* ROC-2 findings: a 12 % 7 = 5, b 6 % 7 = 6, c 4 % 7 = 4 (under the hub's k). */
	assert_int_equal(y25->n_findings, 1);
	assert_int_equal(y25->findings[0]->count, 11);
	assert_true(y25->findings[0]->suppressed);
	/* Trend 2024 -> 2025. */
	px_trend *tr = NULL;
	size_t nt = 0;
	assert_int_equal(px_agg_trend(y24, y25, &tr, &nt), PX_OK);
	assert_int_equal(nt, 3);
	assert_string_equal(tr[0].name, PX_IND_MEMBERS_ACTIVE);
	assert_false(tr[0].suppressed);
	assert_true(tr[0].from == 13 && tr[0].to == 18 && tr[0].delta == 5);
	assert_true(fabs(tr[0].ratio - 18.0 / 13) < 1e-12);
	free(tr);
	/* Total: everything once. */
	act = row_ind(agg->total, PX_IND_MEMBERS_ACTIVE);
	assert_true(act->value == 31);
	assert_int_equal(agg->total->communities, 5);
	px_agg_free(agg);

	/* A group made only of a small community: suppressed, and the trend
	 * says so instead of giving figures. */
	px_agg_item only_c[] = {{rs[4], "t1"}};
	assert_int_equal(px_agg_build(only_c, 1, 0, HUB_K, &agg), PX_OK);
	act = row_ind(agg->total, PX_IND_MEMBERS_ACTIVE);
	assert_true(act->suppressed && act->value == 0 && act->population == 0);
	assert_int_equal(px_agg_trend(agg->total, agg->total, &tr, &nt), PX_OK);
	assert_true(tr[0].suppressed);
	free(tr);
	px_agg_free(agg);
	/* Nothing at all. */
	assert_int_equal(px_agg_build(NULL, 0, PX_AGG_BY_REGION, HUB_K, &agg), PX_OK);
	assert_int_equal(agg->n_rows, 0);
	assert_int_equal(agg->total->communities, 0);
	px_agg_free(agg);
	for (size_t i = 0; i < n; i++)
		px_report_free(rs[i]);
}

int
main(void)
{
	px_log_init("test_report_privacy", PX_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_privacy_property),
	    cmocka_unit_test(test_agg_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
