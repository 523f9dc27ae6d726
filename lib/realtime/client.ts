"use client";

import { useEffect, useRef, useSyncExternalStore } from "react";
import { io, type Socket } from "socket.io-client";
import { type ClientToServerEvents, type ServerToClientEvents, unpackEventBatches } from "./events";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * One Socket.IO connection per tab, to the page's own origin; the session
 * cookie authenticates it (the server refuses sockets without one). The
 * connection state is a small store so components can show an offline banner
 * and resync after a reconnect.
 */
let socket: ClientSocket | null = null;

export type ConnectionState = {
  connected: boolean;
  /** Increments on every successful connect after the first: a signal to refetch what may have been missed. */
  reconnects: number;
  everConnected: boolean;
};

let state: ConnectionState = { connected: false, reconnects: 0, everConnected: false };
const listeners = new Set<() => void>();
const setState = (next: Partial<ConnectionState>) => {
  state = { ...state, ...next };
  for (const l of listeners) l();
};

export function getSocket(): ClientSocket {
  if (socket) return socket;
  socket = io({ withCredentials: true, transports: ["websocket", "polling"], reconnectionDelayMax: 5_000 });
  unpackEventBatches(socket);
  socket.on("connect", () => {
    setState({
      connected: true,
      reconnects: state.everConnected ? state.reconnects + 1 : 0,
      everConnected: true,
    });
  });
  socket.on("disconnect", (reason) => {
    setState({ connected: false });
    // The server closed us (e.g. membership changed): come back with fresh rooms.
    if (reason === "io server disconnect") setTimeout(() => socket?.connect(), 1_000);
  });
  socket.on("connect_error", () => setState({ connected: false }));
  return socket;
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const initial: ConnectionState = { connected: true, reconnects: 0, everConnected: false };

/** Live connection state (server render assumes connected, so no banner flashes on load). */
export function useConnection(): ConnectionState {
  return useSyncExternalStore(
    subscribe,
    () => state,
    () => initial,
  );
}

/** Subscribes to a server event for the component's lifetime; the handler may change between renders. */
export function useSocketEvent<E extends keyof ServerToClientEvents>(
  event: E,
  handler: ServerToClientEvents[E],
) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const s = getSocket();
    const fn = ((...args: unknown[]) => (ref.current as (...a: unknown[]) => void)(...args)) as never;
    s.on(event, fn);
    return () => {
      s.off(event, fn);
    };
  }, [event]);
}
