/*
 * pending.c - weak fallbacks for commands whose real handler lives in
 * another engineer's file and has not landed yet. A real (strong)
 * definition anywhere in node/ replaces the one here at link time;
 * delete an entry here once its real handler exists.
 */
#include "node.h"

static int
pending(px_node *n, const char *what)
{
	return node_fail(n, PX_EUNIMPL,
	                 PX_T("la commande « %s » n'est pas encore disponible dans ce nœud",
	                      "the '%s' command is not available yet in this node"),
	                 what);
}

#define PENDING(fn, word)                                                             \
	__attribute__((weak)) int fn(px_node *n, int argc, char **argv)               \
	{                                                                             \
		(void)argc;                                                           \
		(void)argv;                                                           \
		return pending(n, word);                                              \
	}

PENDING(cmd_protocol, "protocol")
PENDING(cmd_meeting, "meeting")
PENDING(cmd_rsvp, "rsvp")
PENDING(cmd_attend, "attend")
PENDING(cmd_hours, "hours")
PENDING(cmd_survey, "survey")
PENDING(cmd_plan, "plan")
PENDING(cmd_report, "report")
PENDING(cmd_approval, "approval")
PENDING(cmd_enroll, "enroll")
PENDING(cmd_sync, "sync")
PENDING(cmd_serve, "serve")
PENDING(cmd_outbox, "outbox")
