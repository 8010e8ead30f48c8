/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the module parameters (main.c). */
#ifndef _CSPCHAN_MAIN_H
#define _CSPCHAN_MAIN_H

extern unsigned int cspchan_max_capacity;
extern unsigned int cspchan_max_msg_size;
extern unsigned long cspchan_max_channel_bytes;
extern unsigned int cspchan_max_channels_per_user;
extern unsigned long cspchan_max_user_bytes;
extern unsigned int cspchan_unbuffered_slots;

#endif /* _CSPCHAN_MAIN_H */
