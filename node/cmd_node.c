/* placeholder, replaced below */
#include "node.h"
int cmd_init(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "init"); }
int cmd_community(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "community"); }
int cmd_org(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "org"); }
int cmd_member(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "member"); }
int cmd_member_import(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "import"); }
int cmd_plugin(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "plugin"); }
int cmd_audit(px_node *n, int argc, char **argv) { (void)argc; (void)argv; return node_fail(n, PX_EUNIMPL, "audit"); }
