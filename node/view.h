/*
 * view.h - the plugin view of one community (declarations live in node.h
 * so every command file sees them; this header exists for view.c's users
 * who want only the view).
 */
#ifndef NODE_VIEW_H
#define NODE_VIEW_H

#include "node.h"

/* node_view_build, node_view_community, node_view_record, node_view_free:
 * see node.h ("the community view"). */

#endif /* NODE_VIEW_H */
