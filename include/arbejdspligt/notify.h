/*
 * notify.h - systemd's service notifications (sd_notify, libsystemd) for
 * units of Type=notify: ready, status, stopping, and the watchdog. Every call
 * is a no-op when the service was not started by systemd (no NOTIFY_SOCKET),
 * so the binaries run the same anywhere.
 */
#ifndef AP_NOTIFY_H
#define AP_NOTIFY_H

#include <stdint.h>

/** @brief READY=1 with a status line (start-up is over). */
void ap_notify_ready(const char *status);
/** @brief STATUS=<text> (shown by systemctl status). */
void ap_notify_status(const char *status);
/** @brief STOPPING=1. */
void ap_notify_stopping(void);
/** @return the watchdog interval systemd asked for (WatchdogSec=), in microseconds; 0 if none. */
uint64_t ap_notify_watchdog_usec(void);
/** @brief WATCHDOG=1: the service is alive (send at least twice per interval). */
void ap_notify_watchdog(void);

#endif
