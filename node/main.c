/*
 * main.c - praxis-node entry point: global options, the command tables
 * (each file declares its rows, see node.h), --help at every level, and
 * dispatch to the row's handler through node_cmd_run.
 */
#define _GNU_SOURCE
#include "node.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* The node's own tables, listed after the registered ones (NODE_COMMANDS)
 * in this order by --help. */
static const node_cmd *const main_core[] = {node_init_cmds, node_community_cmds, node_member_cmds,
                                            node_import_cmds, node_plugin_cmds};

/* Registered tables (NODE_COMMANDS in other files). */
#define MAIN_MAX_EXTRA 16
static const node_cmd *main_extra[MAIN_MAX_EXTRA];
static size_t main_n_extra;

void
node_register_commands(const node_cmd *tbl)
{
	if (main_n_extra < MAIN_MAX_EXTRA)
		main_extra[main_n_extra++] = tbl;
}

/* Usage lines are written once, with French placeholders; in English the
 * placeholders are translated word by word (longest first). */
static const char *const main_usage_words[][2] = {
	{"mêmes options que add ; --facilitator/--value/--objective/--param remplacent la liste",
	 "same options as add; --facilitator/--value/--objective/--param replace the list"},
	{"options de add sauf --community", "add's options but --community"},
	{"COMMUNAUTÉ", "COMMUNITY"}, {"PLUGICIEL", "PLUGIN"}, {"PROTOCOLE", "PROTOCOL"},
	{"RENCONTRE", "MEETING"}, {"COURRIEL", "EMAIL"}, {"SECTEUR", "SECTOR"}, {"FICHIER", "FILE"},
	{"PRÉFIXE", "PREFIX"}, {"DOSSIER", "DIR"}, {"PRÉNOM", "FIRST"}, {"RÉGION", "REGION"},
	{"RÉSEAU", "NETWORK"}, {"MEMBRE", "MEMBER"}, {"RAISON", "REASON"}, {"STATUT", "STATUS"},
	{"TITRE", "TITLE"}, {"DÉBUT", "START"}, {"FIN]", "END]"}, {"THÈME", "THEME"}, {"SECONDES", "SECONDS"}, {"MONTANT", "AMOUNT"}, {"HEURES", "HOURS"}, {"MOIS", "MONTH"}, {"ANNÉE", "YEAR"}, {"JETON", "TOKEN"}, {"TEXTE", "TEXT"},
	{"RÔLE", "ROLE"}, {"AAAA", "YYYY"}, {"JJ/MM", "DD/MM"}, {"nom=valeur", "name=value"},
	{"oui|non", "yes|no"}, {"NOM", "NAME"}, {"[options]", "[options]"},
};

static const char *
main_usage(const char *u)
{
	static char buf[2048];
	if (!px_lang_en())
		return u;
	size_t o = 0;
	while (*u && o + 1 < sizeof buf) {
		bool done = false;
		for (size_t i = 0; i < sizeof main_usage_words / sizeof main_usage_words[0] && !done; i++) {
			size_t l = strlen(main_usage_words[i][0]);
			if (strncmp(u, main_usage_words[i][0], l) == 0) {
				size_t el = strlen(main_usage_words[i][1]);
				if (o + el >= sizeof buf)
					break;
				memcpy(buf + o, main_usage_words[i][1], el);
				o += el;
				u += l;
				done = true;
			}
		}
		if (!done)
			buf[o++] = *u++;
	}
	buf[o] = '\0';
	return buf;
}

typedef void (*main_visit_fn)(const node_cmd *c, void *arg);

/* Visits every row: the registered tables, then main_core. */
static void
main_each(main_visit_fn fn, void *arg)
{
	for (size_t t = 0; t < main_n_extra; t++)
		for (const node_cmd *c = main_extra[t]; c->name != NULL; c++)
			fn(c, arg);
	for (size_t t = 0; t < sizeof main_core / sizeof main_core[0]; t++)
		for (const node_cmd *c = main_core[t]; c->name != NULL; c++)
			fn(c, arg);
}

struct main_find {
	const char *name, *sub;
	const node_cmd *found;
	size_t n_name; /* rows with that name */
};

static void
main_find_visit(const node_cmd *c, void *arg)
{
	struct main_find *f = arg;
	if (strcmp(c->name, f->name) != 0)
		return;
	f->n_name++;
	if (f->found != NULL)
		return;
	if (c->sub == NULL || (f->sub != NULL && strcmp(c->sub, f->sub) == 0))
		f->found = c;
}

struct main_list {
	const char *only; /* NULL: all commands */
};

static void
main_list_visit(const node_cmd *c, void *arg)
{
	struct main_list *l = arg;
	if (l->only != NULL && strcmp(c->name, l->only) != 0)
		return;
	printf("  praxis-node %s\n      %s\n", main_usage(c->usage), PX_T(c->help_fr, c->help_en));
}

static void
main_help(const char *only)
{
	if (only == NULL) {
		printf("%s\n\n", PX_T("praxis-node : le nœud d'un organisme (communautés, membres, protocoles, "
		                      "rencontres, présences, heures, plans, sondages).",
		                      "praxis-node: an organization's node (communities, members, protocols, "
		                      "meetings, attendance, hours, plans, surveys)."));
		printf("%s\n  praxis-node [--data DOSSIER] [--json] [--lang fr|en] %s\n\n",
		       PX_T("Usage :", "Usage:"), PX_T("COMMANDE [SOUS-COMMANDE] [OPTIONS]",
		                                       "COMMAND [SUBCOMMAND] [OPTIONS]"));
		printf("%s\n", PX_T("Options globales :", "Global options:"));
		printf("  --data DOSSIER  %s\n",
		       PX_T("dossier de données (sinon $PRAXIS_NODE_DATA, /var/lib/praxis/node pour root, "
		            "~/.local/share/praxis/node)",
		            "data directory (else $PRAXIS_NODE_DATA, /var/lib/praxis/node for root, "
		            "~/.local/share/praxis/node)"));
		printf("  --json          %s\n", PX_T("sortie JSON pour les scripts", "JSON output for scripts"));
		printf("  --lang fr|en    %s\n", PX_T("langue des messages (sinon LANG)", "message language (else LANG)"));
		printf("  --override RAISON  %s\n",
		       PX_T("enregistre une modification qu'une règle refuserait, par dérogation motivée (journalisée ; l'audit la signale toujours)",
		            "records a change a rule would refuse, as a derogation with its reason (logged; the audit still reports it)"));
		printf("  --help, -h      %s\n\n", PX_T("aide, à chaque niveau", "help, at every level"));
		printf("%s\n", PX_T("Codes de sortie : 0 succès, 1 usage, 2 données invalides ou refusées par une règle, "
		                    "3 introuvable, 4 stockage ou entrée/sortie.",
		                    "Exit codes: 0 success, 1 usage, 2 invalid data or refused by a rule, "
		                    "3 not found, 4 storage or input/output."));
		printf("\n%s\n", PX_T("Commandes :", "Commands:"));
	} else {
		printf("%s\n", PX_T("Usage :", "Usage:"));
	}
	struct main_list l = {only};
	main_each(main_list_visit, &l);
}

static void
main_help_one(const node_cmd *c)
{
	printf("%s\n  praxis-node %s\n\n%s\n", PX_T("Usage :", "Usage:"), main_usage(c->usage),
	       PX_T(c->help_fr, c->help_en));
}

int
main(int argc, char **argv)
{
	setlocale(LC_CTYPE, "");
	px_lang_set(-1);
	px_log_init("praxis-node", PX_LOG_WARN);

	px_node n;
	memset(&n, 0, sizeof n);
	n.prog = argv[0];

	/* Global options may appear anywhere before "--"; they are removed so
	 * handlers see only their own arguments. */
	const char *data = NULL, *lang = NULL;
	bool help = false;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (args == NULL)
		return NODE_EXIT_IO;
	int nargs = 0;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = true;
			args[nargs++] = argv[i];
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			n.json = true;
		} else if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			help = true;
		} else if (!dashdash && strncmp(a, "--data=", 7) == 0) {
			data = a + 7;
		} else if (!dashdash && strcmp(a, "--data") == 0) {
			if (i + 1 >= argc) {
				free(args);
				return node_usage(&n, "%s", PX_T("--data demande un dossier", "--data needs a directory"));
			}
			data = argv[++i];
		} else if (!dashdash && strncmp(a, "--lang=", 7) == 0) {
			lang = a + 7;
		} else if (!dashdash && strcmp(a, "--lang") == 0) {
			if (i + 1 >= argc) {
				free(args);
				return node_usage(&n, "%s", PX_T("--lang demande fr ou en", "--lang needs fr or en"));
			}
			lang = argv[++i];
		} else if (!dashdash && strncmp(a, "--override=", 11) == 0) {
			n.override_reason = a + 11;
		} else if (!dashdash && strcmp(a, "--override") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				free(args);
				return node_usage(&n, "%s", PX_T("--override demande une raison", "--override needs a reason"));
			}
			n.override_reason = argv[++i];
		} else if (!dashdash && strcmp(a, "--version") == 0) {
			printf("praxis-node %s\n", PX_VERSION_STRING);
			free(args);
			return NODE_EXIT_OK;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (lang != NULL) {
		if (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0) {
			free(args);
			return node_usage(&n, PX_T("langue inconnue « %s » (fr ou en)", "unknown language '%s' (fr or en)"),
			                  lang);
		}
		px_lang_set(strcmp(lang, "en") == 0);
	}

	int rc = NODE_EXIT_OK;
	if (nargs == 0) {
		main_help(NULL);
		rc = help ? NODE_EXIT_OK : NODE_EXIT_USAGE;
		goto out;
	}
	struct main_find f = {args[0], nargs > 1 ? args[1] : NULL, NULL, 0};
	main_each(main_find_visit, &f);
	if (f.n_name == 0) {
		if (strcmp(args[0], "help") == 0) {
			main_help(nargs > 1 ? args[1] : NULL);
			goto out;
		}
		rc = node_usage(&n, PX_T("commande inconnue « %s »", "unknown command '%s'"), args[0]);
		goto out;
	}
	if (f.found == NULL) {
		if (help || f.sub == NULL) {
			main_help(args[0]);
			rc = help ? NODE_EXIT_OK : NODE_EXIT_USAGE;
		} else {
			rc = node_usage(&n, PX_T("sous-commande inconnue « %s %s »", "unknown subcommand '%s %s'"),
			                args[0], f.sub);
		}
		goto out;
	}
	if (help) {
		main_help_one(f.found);
		goto out;
	}

	px_err err = node_init_ctx(&n, data);
	if (err != PX_OK) {
		rc = node_fail(&n, err, "%s", PX_T("configuration du nœud illisible", "cannot read the node configuration"));
		goto out;
	}
	if (n.cfg.lang != NULL && lang == NULL && getenv("LANG") == NULL)
		px_lang_set(strcmp(n.cfg.lang, "en") == 0);
	if (!(f.found->flags & NODE_CMD_NOSTORE)) {
		err = node_open(&n, false);
		if (err != PX_OK) {
			rc = node_exit_code(err);
			goto out;
		}
	}
	int skip = f.found->sub != NULL ? 1 : 0;
	rc = node_cmd_run(&n, f.found, nargs - skip, args + skip);
out:
	node_fini(&n);
	free(args);
	return rc;
}
