"use client";

/**
 * Opt-in desktop notifications and a short chime for new customer messages.
 * The choice lives in this browser (localStorage); the permission with the browser.
 */
const KEY = "notifications";

export function notificationsWanted(): boolean {
  try {
    return localStorage.getItem(KEY) === "on";
  } catch {
    return false;
  }
}

export function notificationsPermission(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** Asks the browser (if needed) and remembers the choice. Returns whether notifications are now on. */
export async function enableNotifications(on: boolean): Promise<boolean> {
  if (!on) {
    localStorage.setItem(KEY, "off");
    return false;
  }
  if (typeof Notification === "undefined") return false;
  const permission =
    Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
  const enabled = permission === "granted";
  localStorage.setItem(KEY, enabled ? "on" : "off");
  return enabled;
}

let audio: AudioContext | null = null;

/** Two soft tones (no audio file to ship). Browsers allow it after the first user interaction. */
export function chime() {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, ctx.currentTime + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.12 + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.12);
      osc.stop(ctx.currentTime + i * 0.12 + 0.3);
    });
  } catch {
    // No audio device or not allowed yet: the badge and the notification still tell.
  }
}

export function notify(title: string, body: string, onClick: () => void) {
  if (!notificationsWanted() || notificationsPermission() !== "granted") return;
  const n = new Notification(title, { body, tag: title });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}
