/*
 * run_list.h — intrusive doubly-linked lists of run descriptors (bins'
 * slab lists, arenas' large and huge lists).  The caller holds the lock
 * that guards the list.
 */
#ifndef STRATA_RUN_LIST_H
#define STRATA_RUN_LIST_H

#include "extent.h"

static inline void run_list_push(run_t **head, run_t *r) {
	r->prev = NULL;
	r->next = *head;
	if (*head != NULL)
		(*head)->prev = r;
	*head = r;
}

static inline void run_list_remove(run_t **head, run_t *r) {
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static inline run_t *run_list_pop(run_t **head) {
	run_t *r = *head;
	if (r != NULL)
		run_list_remove(head, r);
	return r;
}

#endif
