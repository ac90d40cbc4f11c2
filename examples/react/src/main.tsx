// The example page: a customer's chat on useSeamSession. The broker's URL
// and the token come from the query (`?url=ws://…/ws&token=…`); a real page
// would fetch the token from its backend.

import { useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import { useSeamSession } from "./useSeamSession";

const query = new URLSearchParams(location.search);

function Chat() {
  const { status, session, events, typing, error, send, setTyping } = useSeamSession({
    url: query.get("url") ?? "ws://127.0.0.1:8080/ws",
    token: async () => query.get("token") ?? "",
    context: { page: location.pathname },
  });
  const [draft, setDraft] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft("");
    setTyping(false);
    await send(text).catch(() => setDraft(text));
  }

  return (
    <main>
      <p data-testid="status">{status}</p>
      {session && <p data-testid="session">{session.session_id}</p>}
      {error && <p role="alert">{error.code}</p>}
      <ol data-testid="messages">
        {events.map((event) =>
          event.body.kind === "message" ? (
            <li key={event.seq} data-seq={event.seq} data-from={event.from.role}>
              <b>{event.from.name ?? event.from.sub}</b>: {event.body.text}
            </li>
          ) : null,
        )}
      </ol>
      {typing.length > 0 && <p data-testid="typing">{typing.join(", ")} typing…</p>}
      <form onSubmit={submit}>
        <input
          aria-label="Message"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            setTyping(e.target.value.length > 0);
          }}
        />
        <button type="submit" disabled={!session}>Send</button>
      </form>
    </main>
  );
}

const root = document.getElementById("root");
if (root) createRoot(root).render(<Chat />);
