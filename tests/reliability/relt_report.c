#include "relt_report.h"

Praxis__SignedReport *
relt_report(const px_identity *id, const char *uid, const char *name, const char *period,
            int64_t generated_at)
{
	Praxis__Indicator in = PRAXIS__INDICATOR__INIT;
	in.name = PX_IND_MEMBERS_ACTIVE;
	in.value = 12;
	in.population = 12;
	Praxis__Indicator *ins[] = {&in};
	Praxis__CommunityReport r = PRAXIS__COMMUNITY_REPORT__INIT;
	r.community_uid = (char *)uid;
	r.community_name = (char *)name;
	r.framework = "laurentides";
	r.region = "Laurentides";
	r.period_kind = PRAXIS__PERIOD_KIND__PERIOD_MONTH;
	r.period = (char *)period;
	r.revision = 1;
	r.generated_at = generated_at;
	r.k = 5;
	r.plugin_ok = true;
	r.n_indicators = 1;
	r.indicators = ins;
	Praxis__SignedReport *sr = NULL;
	return px_report_sign(&r, id, &sr) == PX_OK ? sr : NULL;
}
