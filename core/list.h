/*
 * list.h — intrusive doubly-linked lists: one shape for every list of
 * descriptors in the core (bins' slabs, arenas' large and huge runs,
 * extents' chunks and fit buckets, the thread-cache and thread-record
 * registries).  A node is any struct with a pair of link fields, named
 * by the caller, so a struct may sit on two lists at once (a chunk's
 * next/prev and bnext/bprev).  Macros, so the pointer types stay exact;
 * head is a pointer to the list's head pointer.  A removed node's links
 * are cleared.  The caller holds the lock that guards the list.
 */
#ifndef STRATA_LIST_H
#define STRATA_LIST_H

#include <stddef.h>

/* Push node on the front of *head. */
#define LIST_PUSH(head, node, next, prev)                                    \
	do {                                                                 \
		__typeof__(node) list_n_ = (node);                           \
		list_n_->prev = NULL;                                        \
		list_n_->next = *(head);                                     \
		if (*(head) != NULL)                                         \
			(*(head))->prev = list_n_;                           \
		*(head) = list_n_;                                           \
	} while (0)

/* Unlink node, which is on *head. */
#define LIST_REMOVE(head, node, next, prev)                                  \
	do {                                                                 \
		__typeof__(node) list_n_ = (node);                           \
		if (list_n_->prev != NULL)                                   \
			list_n_->prev->next = list_n_->next;                 \
		else                                                         \
			*(head) = list_n_->next;                             \
		if (list_n_->next != NULL)                                   \
			list_n_->next->prev = list_n_->prev;                 \
		list_n_->next = list_n_->prev = NULL;                        \
	} while (0)

#endif
