// useSeamSession: a customer's seam session as React state. It connects
// with a token provider, opens the customer's session (or attaches to the
// one under way in another tab), keeps the session's events in order (the
// SDK resumes after a drop: nothing missed, nothing twice), and sends.

import { useCallback, useEffect, useRef, useState } from "react";
import {
  Seam,
  SeamError,
  type SessionEvent,
  type SessionSnapshot,
  type TokenSource,
  type WebSocketConstructor,
} from "@seam/sdk";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "closed";

export interface SeamSessionOptions {
  /** The broker's WebSocket URL, e.g. `wss://chat.example.com/ws`. */
  url: string;
  /** A token, or a function fetching a fresh one from your backend. */
  token: TokenSource;
  /** What the customer came for (issue type, page, metadata). */
  context?: Record<string, unknown>;
  /** A WebSocket class, where the runtime has none. */
  webSocket?: WebSocketConstructor;
}

export interface SeamSession {
  status: ConnectionStatus;
  /** The session, once opened. */
  session?: SessionSnapshot;
  /** Its stored events, in `seq` order. */
  events: SessionEvent[];
  /** Who is typing now, by `sub`. */
  typing: string[];
  /** The last refusal or connection failure. */
  error?: SeamError;
  /** Sends a message; resolves with its `seq` once the broker stored it. */
  send: (text: string) => Promise<number | undefined>;
  /** Tells the others the user is (or stopped) typing. */
  setTyping: (active: boolean) => void;
}

export function useSeamSession(options: SeamSessionOptions): SeamSession {
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [session, setSession] = useState<SessionSnapshot>();
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [typing, setTypingState] = useState<string[]>([]);
  const [error, setError] = useState<SeamError>();
  const seam = useRef<Seam | undefined>(undefined);
  const sessionId = useRef<string | undefined>(undefined);
  // The token provider may change identity between renders; the connection
  // does not restart for that.
  const token = useRef(options.token);
  token.current = options.token;
  const context = useRef(options.context);

  useEffect(() => {
    let active = true;
    let client: Seam | undefined;
    const source: TokenSource =
      typeof token.current === "string" ? token.current : () => (token.current as () => Promise<string>)();
    Seam.connect({ url: options.url, token: source, webSocket: options.webSocket })
      .then(async (connected) => {
        client = connected;
        if (!active) {
          connected.close();
          return;
        }
        seam.current = connected;
        connected.on("connected", () => setStatus("connected"));
        connected.on("disconnected", ({ willReconnect }) => setStatus(willReconnect ? "reconnecting" : "closed"));
        connected.on("event", (event) => {
          if (event.session_id !== sessionId.current) return;
          setEvents((seen) => (seen.some((e) => e.seq === event.seq) ? seen : [...seen, event]));
          if (event.body.kind === "message") {
            setTypingState((now) => now.filter((sub) => sub !== event.from.sub));
          }
        });
        connected.on("typing", ({ session_id, from, active: on }) => {
          if (session_id !== sessionId.current) return;
          setTypingState((now) => (on ? [...new Set([...now, from.sub])] : now.filter((sub) => sub !== from.sub)));
        });
        connected.on("resumed", ({ status: outcome }) => {
          // The log was replaced: what was shown no longer holds.
          if (outcome === "reset") setEvents([]);
        });
        setStatus("connected");
        const opened = await connected.openSession(context.current);
        sessionId.current = opened.session_id;
        setSession(opened);
      })
      .catch((e: unknown) => {
        if (!active) return;
        setStatus("closed");
        setError(e instanceof SeamError ? e : new SeamError("connect_failed", String(e)));
      });
    return () => {
      active = false;
      client?.close();
      seam.current = undefined;
    };
  }, [options.url, options.webSocket]);

  const send = useCallback(async (text: string) => {
    const client = seam.current;
    const id = sessionId.current;
    if (!client || !id) throw new SeamError("not_ready", "the session is not open yet");
    try {
      const ack = await client.message(id, text);
      return ack.seq ?? undefined;
    } catch (e) {
      if (e instanceof SeamError) setError(e);
      throw e;
    }
  }, []);

  const setTyping = useCallback((on: boolean) => {
    const id = sessionId.current;
    if (id) seam.current?.typing(id, on).catch(() => {});
  }, []);

  return { status, session, events: [...events].sort((a, b) => a.seq - b.seq), typing, error, send, setTyping };
}
