/* notify.c - sd_notify for Type=notify units. See notify.h. */
#include "arbejdspligt/notify.h"

#include <stdio.h>

#include <systemd/sd-daemon.h>

void ap_notify_ready(const char *status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status); }

void ap_notify_status(const char *status) { sd_notifyf(0, "STATUS=%s", status); }

void ap_notify_stopping(void) { sd_notify(0, "STOPPING=1"); }

uint64_t ap_notify_watchdog_usec(void) {
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void ap_notify_watchdog(void) { sd_notify(0, "WATCHDOG=1"); }
