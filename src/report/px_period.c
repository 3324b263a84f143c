/* px_period.c - report periods: month "2025-03", quarter "2025-Q1", year "2025". */
#include "px_report.h"

#include <stdio.h>
#include <string.h>

static bool
period_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
px_period_valid(px_period p)
{
	if (p.year < 1900 || p.year > 9999)
		return false;
	switch (p.kind) {
	case PX_PERIOD_MONTH:
		return p.index >= 1 && p.index <= 12;
	case PX_PERIOD_QUARTER:
		return p.index >= 1 && p.index <= 4;
	case PX_PERIOD_YEAR:
		return p.index == 0;
	}
	return false;
}

px_err
px_period_parse(const char *s, px_period *out)
{
	if (s == NULL || out == NULL)
		return PX_EINVAL;
	size_t n = strlen(s);
	if (n < 4 || !period_digits(s, 4))
		return PX_EINVAL;
	px_period p = {PX_PERIOD_YEAR,
	               (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'),
	               0};
	if (n == 4) {
		/* year */
	} else if (n == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q') &&
	           period_digits(s + 6, 1)) {
		p.kind = PX_PERIOD_QUARTER;
		p.index = s[6] - '0';
	} else if (n == 7 && s[4] == '-' && period_digits(s + 5, 2)) {
		p.kind = PX_PERIOD_MONTH;
		p.index = (s[5] - '0') * 10 + (s[6] - '0');
	} else {
		return PX_EINVAL;
	}
	if (!px_period_valid(p))
		return PX_EINVAL;
	*out = p;
	return PX_OK;
}

void
px_period_format(px_period p, char buf[static PX_PERIOD_STRLEN])
{
	buf[0] = '\0';
	if (!px_period_valid(p))
		return;
	switch (p.kind) {
	case PX_PERIOD_MONTH:
		snprintf(buf, PX_PERIOD_STRLEN, "%04d-%02d", p.year, p.index);
		break;
	case PX_PERIOD_QUARTER:
		snprintf(buf, PX_PERIOD_STRLEN, "%04d-Q%d", p.year, p.index);
		break;
	case PX_PERIOD_YEAR:
		snprintf(buf, PX_PERIOD_STRLEN, "%04d", p.year);
		break;
	}
}

/* First and last month of the period, 1..12. */
static void
period_months(px_period p, int *m0, int *m1)
{
	switch (p.kind) {
	case PX_PERIOD_MONTH:
		*m0 = *m1 = p.index;
		break;
	case PX_PERIOD_QUARTER:
		*m0 = 3 * (p.index - 1) + 1;
		*m1 = *m0 + 2;
		break;
	default:
		*m0 = 1;
		*m1 = 12;
		break;
	}
}

int32_t
px_period_first_day(px_period p)
{
	if (!px_period_valid(p))
		return 0;
	int m0, m1;
	period_months(p, &m0, &m1);
	return p.year * 10000 + m0 * 100 + 1;
}

int32_t
px_period_last_day(px_period p)
{
	if (!px_period_valid(p))
		return 0;
	int m0, m1;
	period_months(p, &m0, &m1);
	return p.year * 10000 + m1 * 100 + px_days_in_month(p.year, m1);
}

bool
px_period_contains(px_period p, int32_t ymd)
{
	return px_period_valid(p) && ymd >= px_period_first_day(p) && ymd <= px_period_last_day(p);
}

px_err
px_period_of(px_period_kind kind, int32_t ymd, px_period *out)
{
	if (out == NULL || !px_date_valid(ymd))
		return PX_EINVAL;
	int y = ymd / 10000, m = ymd / 100 % 100;
	px_period p = {kind, y, 0};
	if (kind == PX_PERIOD_MONTH)
		p.index = m;
	else if (kind == PX_PERIOD_QUARTER)
		p.index = (m - 1) / 3 + 1;
	if (!px_period_valid(p))
		return PX_EINVAL;
	*out = p;
	return PX_OK;
}

static px_period
period_step(px_period p, int dir)
{
	int per_year = p.kind == PX_PERIOD_MONTH ? 12 : p.kind == PX_PERIOD_QUARTER ? 4 : 0;
	if (per_year == 0) {
		p.year += dir;
		return p;
	}
	p.index += dir;
	if (p.index < 1) {
		p.index = per_year;
		p.year--;
	} else if (p.index > per_year) {
		p.index = 1;
		p.year++;
	}
	return p;
}

px_period
px_period_prev(px_period p)
{
	return period_step(p, -1);
}

px_period
px_period_next(px_period p)
{
	return period_step(p, 1);
}
