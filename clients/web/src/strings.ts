// Every sentence the widget and the console show, in one table per
// language, so a site can translate or reword them: pick a built-in table
// with `data-locale` (or `?locale=` for the console) and override single
// entries with `data-strings` (JSON). `{name}`-style placeholders are
// filled in by `format`.

/** The English table; its keys are the ones every table has. */
export const EN = {
  // Widget
  title: "Chat with us",
  openChat: "Open the chat",
  minimise: "Minimise the chat",
  unread: "{count} unread",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected. Reload the page to try again.",
  writeToUs: "Write to us: we answer here",
  inputLabel: "Your message",
  inputPlaceholder: "Type a message",
  send: "Send",
  talkVoice: "Call by voice",
  talkVideo: "Call by video",
  queuePosition: "You are number {position} in the queue",
  queueWait: "You are number {position} in the queue, about {wait}",
  youAreQueued: "You're in line: the next available agent will answer here.",
  backInQueue: "You're back in the queue: the next available agent will answer here.",
  agentHere: "{name} is here to help",
  ended: "The conversation has ended",
  rateQuestion: "How did we do?",
  rateLabel: "{score} out of 5",
  thanks: "Thank you!",
  you: "You",
  typing: "{name} is typing…",
  // The conversation, as the customer reads it
  joined: "{name} joined",
  joinedFrom: "{name} from {team} joined",
  left: "{name} left the conversation",
  leftOffline: "{name} is no longer available",
  transferring: "You are being transferred to another agent",
  connectingAgent: "Connecting you to an agent…",
  leftQueue: "You left the queue",
  youRated: "You rated the conversation {score}/5",
  // Calls
  modeChat: "Chat",
  modeVoice: "Voice call",
  modeVideo: "Video call",
  callVoice: "a voice call",
  callVideo: "a video call",
  askedFor: "You asked for {call}",
  theyAskFor: "{name} would like to start {call}",
  accept: "Accept",
  decline: "Decline",
  cancel: "Cancel",
  declinedBy: "{name} declined {call}",
  youDeclined: "You declined {call}",
  requestCancelled: "The request for {call} was cancelled",
  requestExpired: "Nobody answered the request for {call}",
  callStarted: "{call} started",
  callEnded: "Call ended",
  callRinging: "Calling {name}…",
  callWaitingAgent: "Waiting for an agent to take your call…",
  callConnecting: "Connecting…",
  callConnected: "Connected",
  callFailed: "The call could not connect (the network may block it). You are back in the chat.",
  hangUp: "Hang up",
  mute: "Mute",
  unmute: "Unmute",
  cameraOff: "Turn camera off",
  cameraOn: "Turn camera on",
  // Console
  consoleTitle: "Agent console",
  available: "Available",
  away: "Away",
  statusOffline: "Offline",
  statusAvailable: "Available",
  statusAway: "Away",
  offers: "Waiting for you",
  noOffers: "No customer is waiting for you.",
  acceptOffer: "Accept",
  declineOffer: "Decline",
  waitedFor: "waiting {wait}",
  answerWithin: "{seconds} s to answer",
  inbox: "Your conversations",
  inboxEmpty: "No conversations yet. Set yourself Available to receive customers.",
  pickConversation: "Pick a conversation on the left, or wait for a customer.",
  customer: "Customer",
  issue: "Issue",
  page: "Page",
  notes: "Notes for the team",
  notePlaceholder: "Add a note the customer does not see",
  addNote: "Add note",
  reply: "Reply",
  savedReplies: "Saved replies: Tab inserts the first",
  startVoice: "Start voice",
  startVideo: "Start video",
  transfer: "Transfer",
  transferTitle: "Transfer {name} to",
  transferQueue: "Queue: {queue}",
  transferAgent: "{name} ({load}/{capacity})",
  transferNote: "A note for the next agent",
  transferNone: "Nobody to transfer to right now.",
  transferred: "Transferred",
  end: "End",
  endConfirm: "End the conversation with {name}? They will be asked to rate it.",
  endYes: "End conversation",
  sessionEnded: "Conversation ended",
  // Staff transcript lines
  staffOpened: "{name} opened the conversation",
  staffQueued: "Waiting in the {queue} queue",
  staffAssigned: "Assigned to {name} after {wait}",
  staffLeftOffline: "{name} went offline and left",
  staffTransferred: "{name} transferred the conversation to {target}",
  staffHandedOff: "{name} handed off to the {queue} queue",
  staffAbandoned: "Left the {queue} queue unanswered",
  staffRated: "Rated {score}/5",
  staffEnded: "{name} ended the conversation",
  staffAccessed: "{name} {access} the conversation (audit)",
  whisper: "Whisper from {name}",
  note: "Note from {name}",
};

/** A strings table. */
export type Strings = typeof EN;

/** French. */
export const FR: Strings = {
  title: "Discutons",
  openChat: "Ouvrir la discussion",
  minimise: "Réduire la discussion",
  unread: "{count} non lus",
  connecting: "Connexion…",
  reconnecting: "Reconnexion…",
  disconnected: "Déconnecté. Rechargez la page pour réessayer.",
  writeToUs: "Écrivez-nous : nous répondons ici",
  inputLabel: "Votre message",
  inputPlaceholder: "Écrivez un message",
  send: "Envoyer",
  talkVoice: "Appel vocal",
  talkVideo: "Appel vidéo",
  queuePosition: "Vous êtes numéro {position} dans la file",
  queueWait: "Vous êtes numéro {position} dans la file, environ {wait}",
  youAreQueued: "Vous êtes dans la file : le prochain conseiller disponible vous répondra ici.",
  backInQueue: "Vous êtes de nouveau dans la file : le prochain conseiller disponible vous répondra ici.",
  agentHere: "{name} est là pour vous aider",
  ended: "La conversation est terminée",
  rateQuestion: "Comment était notre aide ?",
  rateLabel: "{score} sur 5",
  thanks: "Merci !",
  you: "Vous",
  typing: "{name} écrit…",
  joined: "{name} a rejoint la conversation",
  joinedFrom: "{name} ({team}) a rejoint la conversation",
  left: "{name} a quitté la conversation",
  leftOffline: "{name} n'est plus disponible",
  transferring: "Nous vous transférons à un autre conseiller",
  connectingAgent: "Nous vous mettons en relation avec un conseiller…",
  leftQueue: "Vous avez quitté la file",
  youRated: "Vous avez noté la conversation {score}/5",
  modeChat: "Discussion",
  modeVoice: "Appel vocal",
  modeVideo: "Appel vidéo",
  callVoice: "un appel vocal",
  callVideo: "un appel vidéo",
  askedFor: "Vous avez demandé {call}",
  theyAskFor: "{name} propose {call}",
  accept: "Accepter",
  decline: "Refuser",
  cancel: "Annuler",
  declinedBy: "{name} a refusé {call}",
  youDeclined: "Vous avez refusé {call}",
  requestCancelled: "La demande d'{call} a été annulée",
  requestExpired: "Personne n'a répondu à la demande d'{call}",
  callStarted: "{call} commencé",
  callEnded: "Appel terminé",
  callRinging: "Appel de {name}…",
  callWaitingAgent: "En attente d'un conseiller pour votre appel…",
  callConnecting: "Connexion…",
  callConnected: "Connecté",
  callFailed: "L'appel n'a pas pu aboutir (le réseau le bloque peut-être). Vous êtes de retour dans la discussion.",
  hangUp: "Raccrocher",
  mute: "Couper le micro",
  unmute: "Activer le micro",
  cameraOff: "Couper la caméra",
  cameraOn: "Activer la caméra",
  consoleTitle: "Console conseiller",
  available: "Disponible",
  away: "Absent",
  statusOffline: "Hors ligne",
  statusAvailable: "Disponible",
  statusAway: "Absent",
  offers: "En attente",
  noOffers: "Aucun client ne vous attend.",
  acceptOffer: "Accepter",
  declineOffer: "Refuser",
  waitedFor: "attend depuis {wait}",
  answerWithin: "{seconds} s pour répondre",
  inbox: "Vos conversations",
  inboxEmpty: "Aucune conversation. Passez en Disponible pour recevoir des clients.",
  pickConversation: "Choisissez une conversation à gauche, ou attendez un client.",
  customer: "Client",
  issue: "Motif",
  page: "Page",
  notes: "Notes pour l'équipe",
  notePlaceholder: "Une note que le client ne voit pas",
  addNote: "Ajouter",
  reply: "Répondre",
  savedReplies: "Réponses enregistrées : Tab insère la première",
  startVoice: "Appel vocal",
  startVideo: "Appel vidéo",
  transfer: "Transférer",
  transferTitle: "Transférer {name} vers",
  transferQueue: "File : {queue}",
  transferAgent: "{name} ({load}/{capacity})",
  transferNote: "Une note pour le prochain conseiller",
  transferNone: "Personne vers qui transférer pour l'instant.",
  transferred: "Transféré",
  end: "Terminer",
  endConfirm: "Terminer la conversation avec {name} ? Il lui sera proposé de la noter.",
  endYes: "Terminer la conversation",
  sessionEnded: "Conversation terminée",
  staffOpened: "{name} a ouvert la conversation",
  staffQueued: "En attente dans la file {queue}",
  staffAssigned: "Attribuée à {name} après {wait}",
  staffLeftOffline: "{name} s'est déconnecté et a quitté",
  staffTransferred: "{name} a transféré la conversation vers {target}",
  staffHandedOff: "{name} a passé la main à la file {queue}",
  staffAbandoned: "A quitté la file {queue} sans réponse",
  staffRated: "Notée {score}/5",
  staffEnded: "{name} a terminé la conversation",
  staffAccessed: "{name} a {access} la conversation (audit)",
  whisper: "Chuchoté par {name}",
  note: "Note de {name}",
};

const TABLES: Record<string, Strings> = { en: EN, fr: FR };

/**
 * The table for `locale` (its language part; English when unknown) with
 * `overrides` (a JSON object of entries) applied. Bad JSON is ignored.
 */
export function stringsFor(locale?: string | null, overrides?: string | null): Strings {
  const base = TABLES[(locale ?? "en").toLowerCase().split("-")[0]] ?? EN;
  if (!overrides) return base;
  try {
    const extra = JSON.parse(overrides) as Partial<Strings>;
    return { ...base, ...extra };
  } catch {
    return base;
  }
}

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (all, key: string) => (key in values ? String(values[key]) : all));
}

/** "42 s", "3 min", "1 h 5 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
